"""Where each DeepSeek model on Microsoft Foundry stands: generally available, preview, or retired.

Models retire. Microsoft retired DeepSeek-R1 on Foundry on 2026-08-13 and names DeepSeek-V4-Pro as its
replacement; once retired, a model "is no longer available for use" and "deployments of a retired model always
return error responses" (Microsoft Learn, "Model retirements", 2026-01-30). This module keeps Microsoft's
schedule as a small dated table (`helpers/data/lifecycle.csv`: model, version, lifecycle, retirement date,
replacement, source URL, as-of date) and turns it into plain warnings:

- `load_lifecycle()` reads the table into a DataFrame; `lifecycle_of(model)` picks one row as a `ModelLifecycle`.
- `check_model(model, version)` says, in one message, whether the model is retired, retires soon, or is not
  in the table at all (listing the models it knows). `helpers.setup()` prints it in live mode.
- `explain_retired(error, settings)` turns a refused request into a message naming the retirement and the fix.

The table is a snapshot. Microsoft's schedule is the truth: check it when a message here surprises you.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

LIFECYCLE_CSV = Path(__file__).parent / "data" / "lifecycle.csv"
SCHEDULE_URL = "https://learn.microsoft.com/azure/foundry/openai/concepts/model-retirement-schedule"
WARN_WITHIN_DAYS = 30
# What an error says when a retired model is the cause (Azure's exact wording is not documented).
RETIREMENT_WORDS = ("retired", "retirement", "deprecated", "no longer available")


@dataclass(frozen=True)
class ModelLifecycle:
    """One model version in Microsoft's retirement schedule."""

    model: str
    version: str
    lifecycle: str  # "GA", "Preview", "Legacy" or "Retired"
    retirement_date: date | None
    replacement: str | None
    source_url: str
    as_of: str

    def is_retired(self, today: date | None = None) -> bool:
        """Retired by the schedule, or past its retirement date."""
        today = today or date.today()
        past_date = self.retirement_date is not None and self.retirement_date <= today
        return self.lifecycle.lower() == "retired" or past_date

    def days_left(self, today: date | None = None) -> int | None:
        """Days until retirement (negative once past it), or None when no date is announced."""
        if self.retirement_date is None:
            return None
        return (self.retirement_date - (today or date.today())).days


def load_lifecycle(path: str | Path | None = None) -> pd.DataFrame:
    """The lifecycle table as a DataFrame (dates as text, empty cells as empty strings)."""
    return pd.read_csv(path or LIFECYCLE_CSV, dtype=str, keep_default_na=False)


def known_models(table: pd.DataFrame | None = None) -> list[str]:
    """The model names the table knows, in its order."""
    table = load_lifecycle() if table is None else table
    return list(dict.fromkeys(table["model"]))


def lifecycle_of(model: str, version: str | None = None, table: pd.DataFrame | None = None) -> ModelLifecycle | None:
    """The table's row for `model` (case-insensitive, as Azure compares model names), or None if unknown.

    With `version`, only that version matches; without it, the newest row of the model.
    """
    table = load_lifecycle() if table is None else table
    rows = table[table["model"].str.casefold() == model.strip().casefold()]
    if version:
        rows = rows[rows["version"] == str(version).strip()]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    return ModelLifecycle(
        model=row["model"],
        version=row["version"],
        lifecycle=row["lifecycle"],
        retirement_date=date.fromisoformat(row["retirement_date"]) if row["retirement_date"] else None,
        replacement=row["replacement"] or None,
        source_url=row["source_url"],
        as_of=row["as_of"],
    )


def check_model(
    model: str,
    version: str | None = None,
    today: date | None = None,
    within_days: int = WARN_WITHIN_DAYS,
    table: pd.DataFrame | None = None,
) -> str | None:
    """A warning about `model`, or None when it is fine for at least `within_days` more days.

    Three cases get a message: the model is retired (with the date and the replacement), it retires within
    `within_days`, or the table does not know it (with the models it does know).
    """
    table = load_lifecycle() if table is None else table
    entry = lifecycle_of(model, version, table)
    if entry is None:
        named = f"{model} version {version}" if version else model
        return (
            f"{named} is not in the course's lifecycle table (as of {table['as_of'].max()}), so the course cannot "
            f"say whether Azure still serves it. Known models: {', '.join(known_models(table))}. "
            f"A DeepSeek model you already have deployed works too; check its status on {SCHEDULE_URL}"
        )
    days = entry.days_left(today)
    fix = f" Deploy {entry.replacement} instead (AZURE_DEEPSEEK_MODEL, lesson 02)." if entry.replacement else ""
    source = f"(Microsoft's model retirement schedule, as of {entry.as_of}: {entry.source_url})"
    if entry.is_retired(today):
        when = f" on {entry.retirement_date.isoformat()}" if entry.retirement_date else ""
        return (
            f"{entry.model} version {entry.version} was retired on Azure{when}: it can no longer be deployed and "
            f"its deployments answer with errors.{fix} {source}"
        )
    if days is not None and days <= within_days and entry.retirement_date is not None:
        return (
            f"{entry.model} version {entry.version} ({entry.lifecycle}) retires on "
            f"{entry.retirement_date.isoformat()}, in {days} day{'s' if days != 1 else ''}.{fix} {source}"
        )
    return None


def _error_text(error: Any) -> str:
    parts = [str(error)]
    body = getattr(error, "body", None)
    if body is not None:
        parts.append(str(body))
    inner = getattr(error, "error", None)  # azure-core's HttpResponseError keeps the parsed ARM error here
    if inner is not None:
        parts += [str(getattr(inner, "code", "")), str(getattr(inner, "message", ""))]
    return " ".join(parts)


def _status(error: Any) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def explain_retired(error: Any, settings: Any = None, today: date | None = None) -> str | None:
    """Why a request failed, when the reason is a retired model; None when retirement is not the reason.

    Two signs count: the error itself says the model is retired (or deprecated), or the request was refused
    with a 4xx while the model in the settings is retired by the schedule. Azure's wording for requests to a
    retired deployment is not documented, so either sign is enough.
    """
    text = _error_text(error).lower()
    says_retired = any(word in text for word in RETIREMENT_WORDS)
    model = getattr(settings, "model", None)
    version = getattr(settings, "model_version", None)
    entry = lifecycle_of(model, version) if model else None
    configured_retired = entry is not None and entry.is_retired(today)
    refused = (_status(error) or 0) in range(400, 500)
    if not (says_retired or (configured_retired and refused)):
        return None
    lead = "This request failed because the model behind it is retired."
    if entry is not None and configured_retired:
        return f"{lead} {check_model(entry.model, entry.version, today)}"
    # The longest name first, so that "DeepSeek-R1-0528" is not read as "DeepSeek-R1".
    for row in sorted(load_lifecycle().itertuples(), key=lambda row: -len(row.model)):
        hint = check_model(row.model, row.version, today) if row.model.lower() in text else None
        if hint and "was retired" in hint:
            return f"{lead} {hint}"
    return (
        "Azure says the model behind this request is retired. Deploy a model that is still served (lesson 02 "
        f"lists them with their status) and set AZURE_DEEPSEEK_MODEL to it; the schedule: {SCHEDULE_URL}"
    )


def model_to_deploy(model: str, version: str, today: date | None = None) -> tuple[str, str]:
    """``(model, version)`` to deploy: the given one, or its replacement when it is retired.

    Recorded mode's settings name DeepSeek-R1 version 1, the model the recordings replay; Azure refuses to deploy
    it since 2026-08-13, so lessons 02 and 11 deploy what the schedule names instead (DeepSeek-V4-Pro).
    A model the table does not know is returned as it is: Azure will say.
    """
    entry = lifecycle_of(model, version)
    if entry is None or not entry.is_retired(today) or entry.replacement is None:
        return model, version
    successor = lifecycle_of(entry.replacement)
    return (successor.model, successor.version) if successor else (entry.replacement, version)
