"""What DeepSeek requests cost: a sourced price table, Azure's retail prices, the cost of a usage, a usage log.

- `load_prices()` reads the price table (`helpers/data/prices.csv`) into a pandas DataFrame: provider, model,
  deployment type, input, output and cached-input price per 1M tokens, currency, source URL, as-of date,
  whether the figure was checked against its source, and its status (current, retired, history).
  `price_for(provider, model)` picks one row as a `Price`.
- `retail_prices(live=...)` asks Azure's public Retail Prices API (no key) for the DeepSeek meters, or reads the
  dated snapshot of its answer that ships in `helpers/data/` when offline; `retail_price_for(model)` makes a
  `Price` from them.
- `cost_of(usage, price)` prices one request from its usage (openai, azure-ai-inference or a dict).
- `split_completion_tokens(response)` splits the completion tokens into reasoning and answer tokens.
- `UsageLog` collects requests, then gives a DataFrame and a chart.
- `workshop_estimate`, `learners_supported` and `retry_storm` plan a workshop against price and rate limits.

A DeepSeek model's thinking is billed as output, like its answer: both "count towards content generated from
the model" and so towards "the token limits and costs" (Microsoft's DeepSeek-R1 tutorial, seed 001).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from .reasoning import ReasoningSplit, is_response, reasoning_of, think_block
from .sdk import message_field
from .tokens import count_tokens

PRICES_CSV = Path(__file__).parent / "data" / "prices.csv"
REQUIRED_COLUMNS = (
    "provider", "model", "deployment_type", "input_per_million", "output_per_million",
    "currency", "source_url", "as_of", "verified", "note",
)
PRICE_COLUMNS = (
    "provider", "model", "deployment_type", "input_per_million", "output_per_million", "cached_input_per_million",
    "currency", "source_url", "as_of", "verified", "status", "note",
)
AS_OF_FORMAT = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # ISO date, to the day, month or year known
PER_MILLION = 1_000_000


# -- the price table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """One row of the price table: price per 1M input and output tokens, and where the figure comes from."""

    provider: str
    model: str
    deployment_type: str
    input_per_million: float
    output_per_million: float
    currency: str = "USD"
    source_url: str = ""
    as_of: str = ""
    verified: bool = False
    note: str = ""
    cached_input_per_million: float | None = None
    status: str = ""

    def __str__(self) -> str:
        check = "verified" if self.verified else f"NOT verified, check {self.source_url}"
        status = f", {self.status}" if self.status and self.status != "current" else ""
        return (
            f"{self.provider} {self.model} ({self.deployment_type}): {money(self.input_per_million)} in / "
            f"{money(self.output_per_million)} out {self.currency} per 1M tokens, as of {self.as_of} ({check}{status})"
        )


def money(amount: float) -> str:
    """``1.35`` -> ``"1.35"``, ``1.485`` -> ``"1.485"``, ``5.4`` -> ``"5.40"``: at least two decimals, at most four."""
    text = f"{amount:.4f}".rstrip("0")
    decimals = len(text.split(".")[1])
    return text + "0" * max(0, 2 - decimals)


def load_prices(path: str | Path | None = None) -> pd.DataFrame:
    """The price table as a DataFrame, from `helpers/data/prices.csv` or the CSV file at `path`."""
    table = pd.read_csv(
        path or PRICES_CSV, dtype={"as_of": str}, keep_default_na=False,
        true_values=["true", "yes"], false_values=["false", "no"],
    )
    return check_prices(table)


def check_prices(table: pd.DataFrame) -> pd.DataFrame:
    """Return `table` if it is a usable price table, else raise a ValueError that says what to fix."""
    missing = [name for name in REQUIRED_COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(f"The price table lacks the columns {missing}; it needs {list(REQUIRED_COLUMNS)}.")
    for index, row in table.iterrows():
        label = f"row {index} ({row['provider']} {row['model']})"
        for column in ("input_per_million", "output_per_million"):
            value = row[column]
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) >= 0:
                raise ValueError(f"{label}: {column}={value!r}; write a price per 1M tokens, e.g. 1.35.")
        if not AS_OF_FORMAT.match(str(row["as_of"])):
            raise ValueError(f"{label}: as_of={row['as_of']!r}; write an ISO date: 2026-01-31 or 2026-01.")
        if row["verified"] not in (True, False):
            raise ValueError(f"{label}: verified={row['verified']!r}; write true or false.")
    return table


def price_for(
    provider: str,
    model: str,
    deployment_type: str | None = None,
    prices: pd.DataFrame | None = None,
    as_of: str | None = None,
) -> Price:
    """The newest price of `model` at `provider` (case-insensitive), from `prices` or the shipped table.

    `deployment_type` is needed when the table lists several for the model. `as_of="2025-06"` returns the
    price that was current then (the newest row dated on or before it).
    """
    table = load_prices() if prices is None else check_prices(prices)
    same_provider = table["provider"].str.casefold() == provider.casefold()
    rows = table[same_provider & (table["model"].str.casefold() == model.casefold())]
    if rows.empty:
        known = sorted(set(zip(table["provider"], table["model"], strict=True)))
        raise LookupError(
            f"No price for {provider!r} {model!r}. The table has {known}. "
            f"Add a row to {PRICES_CSV.name} or pass prices=your_table (see load_prices())."
        )
    types = sorted(set(rows["deployment_type"]))
    if deployment_type is not None:
        rows = rows[rows["deployment_type"].str.casefold() == deployment_type.casefold()]
        if rows.empty:
            raise LookupError(f"{provider} {model} has no deployment type {deployment_type!r}, only {types}.")
    elif len(types) > 1:
        raise LookupError(f"{provider} {model} has several deployment types {types}: pass deployment_type=.")
    if as_of is not None:
        rows = rows[rows["as_of"] <= as_of]
        if rows.empty:
            raise LookupError(f"No price for {provider} {model} dated on or before {as_of!r}.")
    return _price_from_row(rows.sort_values("as_of", kind="stable").iloc[-1])


def _price_from_row(row: Mapping[str, Any]) -> Price:
    values = {f.name: row[f.name] for f in fields(Price) if f.name in row}
    values["input_per_million"] = float(values["input_per_million"])
    values["output_per_million"] = float(values["output_per_million"])
    cached = values.get("cached_input_per_million")
    values["cached_input_per_million"] = None if cached in (None, "") or pd.isna(cached) else float(cached)
    values["status"] = values.get("status") if isinstance(values.get("status"), str) else ""  # empty in own tables
    values["verified"] = bool(values["verified"])
    return Price(**values)


# -- Azure's Retail Prices API -------------------------------------------------------------------------

RETAIL_PRICES_URL = "https://prices.azure.com/api/retail/prices"
RETAIL_SNAPSHOT = Path(__file__).parent / "data" / "retail_prices_deepseek.json"
DEEPSEEK_PRODUCT = "Azure Deepseek Models"  # Azure's own spelling of the product name
# Meter names use short forms of the deployment types: "glbl" Global, "DZone"/"DZ" Data Zone, "regnl" Regional.
METER_DEPLOYMENT_TYPES = {"glbl": "Global Standard", "dzone": "Data Zone Standard", "dz": "Data Zone Standard",
                          "regnl": "Regional Standard"}  # fmt: skip
METER = re.compile(r"^(?P<model>.+?) (?P<kind>Inp|Outp|cached) (?P<where>\w+) Tokens$", re.IGNORECASE)


def retail_prices_url() -> str:
    """Where the Retail Prices API is asked: ``AZURE_RETAIL_PRICES_URL`` when set, else Azure's address."""
    return (os.environ.get("AZURE_RETAIL_PRICES_URL") or RETAIL_PRICES_URL).strip()  # e.g. a proxy, or a test


def retail_prices(live: bool | None = None, region: str = "eastus2", timeout: float = 30.0) -> pd.DataFrame:
    """The DeepSeek token meters of Azure's Retail Prices API for `region`, one row per meter.

    Live (`live=True`, or `None` in live mode) this asks the API, which needs no key and follows its
    ``NextPageLink`` pages; offline it reads the dated snapshot of the same answer in `helpers/data/`.
    Columns: meterName, retailPrice, unitOfMeasure, effectiveStartDate, armRegionName, plus the model,
    deployment type and kind (input, output, cached input) read from the meter name, and ``per_million``.
    """
    if live is None:
        from .settings import load_settings

        live = load_settings().mode == "live"
    items = _fetch_retail_items(region, timeout) if live else _snapshot_items(region)
    frame = pd.DataFrame(items)
    if frame.empty:
        raise LookupError(f"The Retail Prices API lists no '{DEEPSEEK_PRODUCT}' meters in region {region!r}.")
    frame.attrs["source"] = retail_prices_url() if live else f"snapshot of {_snapshot()['fetched_at']}"
    return _with_meter_columns(frame)


def _retail_filter(region: str) -> str:
    return f"productName eq '{DEEPSEEK_PRODUCT}' and armRegionName eq '{region}' and priceType eq 'Consumption'"


def _fetch_retail_items(region: str, timeout: float) -> list[dict[str, Any]]:
    import requests  # azure-core's HTTP library, so no new dependency

    items: list[dict[str, Any]] = []
    url: str | None = retail_prices_url()
    params: dict[str, str] | None = {"$filter": _retail_filter(region)}
    with requests.Session() as session:
        while url:
            answer = session.get(url, params=params, timeout=timeout)
            answer.raise_for_status()
            page = answer.json()
            items += page.get("Items", [])
            url, params = page.get("NextPageLink"), None  # the next page's URL carries the filter already
    return items


def _snapshot() -> dict[str, Any]:
    return json.loads(RETAIL_SNAPSHOT.read_text())


def _snapshot_items(region: str) -> list[dict[str, Any]]:
    return [item for item in _snapshot()["answer"]["Items"] if item.get("armRegionName") == region]


def _with_meter_columns(frame: pd.DataFrame) -> pd.DataFrame:
    parsed = frame["meterName"].str.extract(METER)
    frame = frame.assign(
        model=parsed["model"],
        deployment_type=parsed["where"].str.lower().map(METER_DEPLOYMENT_TYPES),
        kind=parsed["kind"].str.lower().map({"inp": "input", "outp": "output", "cached": "cached input"}),
    ).dropna(subset=["model", "deployment_type"])
    per_unit = frame["unitOfMeasure"].map({"1K": 1_000, "1M": 1_000_000})
    frame["per_million"] = (frame["retailPrice"] * PER_MILLION / per_unit).round(6)
    columns = ["model", "deployment_type", "kind", "per_million", "meterName", "retailPrice", "unitOfMeasure",
               "effectiveStartDate", "armRegionName"]  # fmt: skip
    return frame[columns].sort_values(["model", "deployment_type", "kind"], ignore_index=True)


def retail_price_for(
    meter_model: str, deployment_type: str = "Global Standard", retail: pd.DataFrame | None = None
) -> Price:
    """A `Price` from the retail meters, e.g. ``retail_price_for("V4 Pro")`` (the meters' short model names)."""
    retail = retail_prices() if retail is None else retail
    rows = retail[(retail["model"] == meter_model) & (retail["deployment_type"] == deployment_type)]
    rates = dict(zip(rows["kind"], rows["per_million"], strict=True))
    if "input" not in rates or "output" not in rates:
        known = sorted(set(zip(retail["model"], retail["deployment_type"], strict=True)))
        raise LookupError(
            f"No input and output meters for {meter_model!r} {deployment_type!r}; the meters cover {known}."
        )
    return Price(
        provider="Azure",
        model=meter_model,
        deployment_type=deployment_type,
        input_per_million=float(rates["input"]),
        output_per_million=float(rates["output"]),
        cached_input_per_million=float(rates["cached input"]) if "cached input" in rates else None,
        source_url=RETAIL_PRICES_URL,
        as_of=str(rows["effectiveStartDate"].max())[:10],
        verified=True,
        status="current",
        note=f"Azure Retail Prices API ({retail.attrs.get('source', 'retail meters')}), effective date of the meters.",
    )


# -- usage and cost ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageCounts:
    """One request's token counts; `reasoning_tokens` is None when the service did not send it."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def read_usage(usage: Any) -> UsageCounts:
    """Token counts of an openai usage, an azure-ai-inference usage, a dict, or a response carrying one.

    Responses API usage (`input_tokens`, `output_tokens`, `output_tokens_details.reasoning_tokens`) reads as the
    same counts: input tokens are prompt tokens, output tokens are completion tokens.
    """
    if isinstance(usage, UsageCounts):
        return usage
    if usage is None:
        raise ValueError("No usage given. Pass response.usage (or the whole response).")
    if is_response(usage):  # a whole Responses object
        usage = message_field(usage, "usage")
        if usage is None:
            raise ValueError("This response carries no usage yet (still in progress?): pass the final response.")
    if message_field(usage, "input_tokens") is not None:  # Responses API names
        details = message_field(usage, "output_tokens_details")
        reasoning = None if details is None else message_field(details, "reasoning_tokens")
        return UsageCounts(
            prompt_tokens=_token_count(usage, "input_tokens"),
            completion_tokens=_token_count(usage, "output_tokens"),
            reasoning_tokens=None if reasoning is None else _whole_number(reasoning, "reasoning_tokens"),
        )
    if message_field(usage, "choices") is not None:  # a whole response, or a stream's last chunk
        if message_field(usage, "usage") is None:
            raise ValueError(
                "This response carries no usage. A stream sends it only when asked: pass "
                "stream_options={'include_usage': True} and read the usage of the last chunk."
            )
        usage = message_field(usage, "usage")
    details = message_field(usage, "completion_tokens_details")
    reasoning = None if details is None else message_field(details, "reasoning_tokens")
    return UsageCounts(
        prompt_tokens=_token_count(usage, "prompt_tokens"),
        completion_tokens=_token_count(usage, "completion_tokens"),
        reasoning_tokens=None if reasoning is None else _whole_number(reasoning, "reasoning_tokens"),
    )


def _token_count(usage: Any, name: str) -> int:
    value = message_field(usage, name)
    if value is None:
        raise TypeError(
            f"{type(usage).__name__} has no {name!r}. Pass response.usage from either SDK, or a dict like "
            "{'prompt_tokens': 11, 'completion_tokens': 886}."
        )
    return _whole_number(value, name)


def _whole_number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}={value!r}: token counts are whole numbers >= 0.")
    return int(value)


def cost_of(usage: Any, price: Price | tuple[float, float]) -> float:
    """Cost of one request: prompt tokens at the input price, completion tokens (thinking included) at the
    output price.

    `price` is a `Price` or an `(input, output)` pair per 1M tokens; the result is in the price's currency.

    >>> round(cost_of({"prompt_tokens": 1000, "completion_tokens": 2000}, (1.35, 5.40)), 5)
    0.01215
    """
    counts = read_usage(usage)
    price_in, price_out = _rates(price)
    return (counts.prompt_tokens * price_in + counts.completion_tokens * price_out) / PER_MILLION


def _rates(price: Price | tuple[float, float]) -> tuple[float, float]:
    if isinstance(price, Price):
        return price.input_per_million, price.output_per_million
    if isinstance(price, tuple) and len(price) == 2:
        return float(price[0]), float(price[1])
    raise TypeError(f"Expected a Price (price_for) or an (input, output) pair per 1M tokens, got {price!r}.")


# -- reasoning vs answer tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSplit:
    """Completion tokens split into thinking and answer.

    source: "service" when the usage carried `completion_tokens_details.reasoning_tokens`; "counted" when
    the thinking was counted with DeepSeek-R1's tokenizer (the answer is then the rest of the billed
    completion tokens, or counted too when there is no usage).
    """

    reasoning_tokens: int
    answer_tokens: int
    source: str

    @property
    def completion_tokens(self) -> int:
        return self.reasoning_tokens + self.answer_tokens

    @property
    def reasoning_share(self) -> float:
        """Share of the completion tokens spent thinking (0 for an empty completion)."""
        return self.reasoning_tokens / self.completion_tokens if self.completion_tokens else 0.0


def split_completion_tokens(response_or_message: Any, usage: Any = None) -> TokenSplit:
    """Reasoning and answer tokens of a response (either SDK, or a dict), or of a message plus its usage.

    The service's own `reasoning_tokens` wins when it sends one (DeepSeek's API does; Azure's DeepSeek-R1
    examples show none), unless it reads 0 next to visible thinking: Learn's known issue (2026-06-04) for
    Foundry models that are not Azure OpenAI models on the Responses API. Otherwise the thinking is counted as
    the model generated it, `<think>\\n…\\n</think>\\n\\n`, and labelled "counted".
    """
    message, response_usage = _message_and_usage(response_or_message)
    usage = usage if usage is not None else response_usage
    counts = None if usage is None else read_usage(usage)
    split = reasoning_of(message)
    zero_next_to_thinking = counts is not None and counts.reasoning_tokens == 0 and bool(split.thinking)
    if counts is not None and counts.reasoning_tokens is not None and not zero_next_to_thinking:
        reasoning = min(counts.reasoning_tokens, counts.completion_tokens)
        return TokenSplit(reasoning, counts.completion_tokens - reasoning, "service")
    reasoning = count_tokens(generated_thinking(split))
    if counts is None:
        return TokenSplit(reasoning, count_tokens(split.answer or ""), "counted")
    # The billed count is the truth; a host with another chat template may count a few tokens differently.
    reasoning = min(reasoning, counts.completion_tokens)
    return TokenSplit(reasoning, counts.completion_tokens - reasoning, "counted")


def generated_thinking(split: ReasoningSplit) -> str:
    """The thinking as DeepSeek-R1 writes it: `<think>\\n…\\n</think>\\n\\n`, unclosed if cut short."""
    return think_block(split.thinking, complete=split.thinking_complete)


def _message_and_usage(obj: Any) -> tuple[Any, Any]:
    if is_response(obj):  # a Responses object: reasoning_of reads its output items
        return obj, message_field(obj, "usage")
    choices = message_field(obj, "choices")
    if choices is not None:  # a whole response
        if not choices:
            raise ValueError("This response has no choices (a stream's usage chunk?): pass the message.")
        return message_field(choices[0], "message"), message_field(obj, "usage")
    if message_field(obj, "message") is not None:  # a choice
        return message_field(obj, "message"), None
    return obj, None


# -- a usage log ---------------------------------------------------------------------------------------


class UsageLog:
    """Requests and what they cost, one row each: `add()` responses, then `to_frame()` and `plot()`.

    >>> log = UsageLog(price_for("Azure", "DeepSeek-R1", "Global Standard"), lesson="09")
    >>> log.add("languages", response)  # doctest: +SKIP
    """

    def __init__(self, price: Price | None = None, lesson: str = "") -> None:
        self.price = price
        self.lesson = lesson
        self.currency = price.currency if price else None
        self._rows: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        response: Any,
        usage: Any = None,
        price: Price | None = None,
        lesson: str | None = None,
    ) -> dict[str, Any]:
        """Log one request (a response of either SDK, or a message with `usage=`); return its row."""
        price = price or self.price
        if price is None:
            raise ValueError("No price for this request: UsageLog(price_for(...)) or add(..., price=...).")
        self._check_currency(price)
        counts = read_usage(usage if usage is not None else response)
        split = split_completion_tokens(response, counts)
        row = {
            "lesson": self.lesson if lesson is None else lesson,
            "request": name,
            "prompt_tokens": counts.prompt_tokens,
            "reasoning_tokens": split.reasoning_tokens,
            "answer_tokens": split.answer_tokens,
            "completion_tokens": counts.completion_tokens,
            "reasoning_from": split.source,
            self.cost_column: cost_of(counts, price),
        }
        self._rows.append(row)
        return row

    @property
    def cost_column(self) -> str:
        return f"cost_{(self.currency or 'usd').lower()}"

    def _check_currency(self, price: Price) -> None:
        if self.currency is None:
            self.currency = price.currency
        elif price.currency != self.currency:
            raise ValueError(f"This log is in {self.currency}; a {price.currency} price spoils its sums.")

    def __len__(self) -> int:
        return len(self._rows)

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame, one row per request."""
        if not self._rows:
            raise ValueError("The usage log is empty: add requests with log.add(name, response) first.")
        return pd.DataFrame(self._rows)

    def plot(self, title: str = "Tokens and cost per request") -> Figure:
        """A chart: completion tokens per request (thinking and answer stacked) and cost per request."""
        frame = self.to_frame()
        figure = Figure(figsize=(11, 0.5 * len(frame) + 1.6), layout="constrained")
        tokens_axes, cost_axes = figure.subplots(1, 2, sharey=True)
        rows = range(len(frame))  # positions, not names: two requests may share a name
        thinking, answer = frame["reasoning_tokens"], frame["answer_tokens"]
        tokens_axes.barh(rows, thinking, color="#8c6bb1", label="reasoning (thinking)")
        tokens_axes.barh(rows, answer, left=thinking, color="#41ab5d", label="answer")
        tokens_axes.set_yticks(rows, frame["request"])
        tokens_axes.set_xlabel("completion tokens")
        tokens_axes.legend(loc="lower right")
        tokens_axes.invert_yaxis()  # first request on top
        cost_axes.barh(rows, frame[self.cost_column], color="#4292c6")
        cost_axes.set_xlabel(f"cost per request ({self.currency})")
        figure.suptitle(title)
        return figure


# -- planning a workshop -------------------------------------------------------------------------------


def workshop_estimate(
    requests: pd.DataFrame | UsageLog, learners: int, price: Price | None = None
) -> pd.DataFrame:
    """Cost of a workshop where every learner sends the logged requests once: a row per lesson, and a total.

    `requests` is a `UsageLog` or its frame (columns lesson, prompt_tokens, completion_tokens and a cost
    column). With `price`, the requests are priced at it instead, so one log compares providers.
    """
    frame = requests.to_frame() if isinstance(requests, UsageLog) else requests.copy()
    if isinstance(learners, bool) or not isinstance(learners, numbers.Integral) or learners < 1:
        raise ValueError(f"learners={learners!r}: give a whole number of learners, e.g. 30.")
    if price is not None:
        frame["cost"] = [
            cost_of(UsageCounts(int(p), int(c)), price)
            for p, c in zip(frame["prompt_tokens"], frame["completion_tokens"], strict=True)
        ]
    else:
        cost_columns = [name for name in frame.columns if name.startswith("cost")]
        if len(cost_columns) != 1:
            raise ValueError("The requests carry no single cost column: pass price=price_for(...).")
        frame["cost"] = frame[cost_columns[0]]
    if "lesson" not in frame.columns:
        frame["lesson"] = ""
    per_lesson = frame.groupby("lesson", sort=True).agg(
        requests=("cost", "size"),
        prompt_tokens=("prompt_tokens", "sum"),
        completion_tokens=("completion_tokens", "sum"),
        cost_per_learner=("cost", "sum"),
    )
    per_lesson.loc["workshop total"] = per_lesson.sum()
    per_lesson["cost_all_learners"] = per_lesson["cost_per_learner"] * int(learners)
    per_lesson.attrs["learners"] = int(learners)
    return per_lesson


@dataclass(frozen=True)
class RateLimits:
    """A deployment's rate limits. The defaults are seed 001's figures for DeepSeek-R1."""

    requests_per_minute: int = 5_000
    tokens_per_minute: int = 5_000_000
    source: str = "Microsoft's DeepSeek-R1 tutorial (seed 001): 5,000 requests, 5,000,000 tokens per minute"


SEED_001_LIMITS = RateLimits()


@dataclass(frozen=True)
class Capacity:
    """How many learners a deployment carries at once, and which limit binds."""

    learners: int
    by_requests: int
    by_tokens: int
    binding: str  # "requests" or "tokens"

    def __str__(self) -> str:
        return (
            f"{self.learners:,} learners at once ({self.by_requests:,} by the request limit, "
            f"{self.by_tokens:,} by the token limit: the {self.binding.rstrip('s')} limit binds)"
        )


def learners_supported(
    requests_per_learner_per_minute: float, tokens_per_request: float, limits: RateLimits = SEED_001_LIMITS
) -> Capacity:
    """Learners who can work at the same time when each sends `requests_per_learner_per_minute` requests
    of `tokens_per_request` tokens (prompt plus completion) to a deployment with `limits`."""
    if not (requests_per_learner_per_minute > 0 and tokens_per_request > 0):
        raise ValueError("Give positive numbers: requests per learner per minute, tokens per request.")
    by_requests = math.floor(limits.requests_per_minute / requests_per_learner_per_minute)
    by_tokens = math.floor(limits.tokens_per_minute / (requests_per_learner_per_minute * tokens_per_request))
    binding = "tokens" if by_tokens < by_requests else "requests"
    return Capacity(min(by_requests, by_tokens), by_requests, by_tokens, binding)


@dataclass(frozen=True)
class RetryStorm:
    """What retries add to `requests` requests: attempts, billed attempts, repeated tokens and their cost."""

    requests: int
    attempts: int
    billed_attempts: int
    rate_limited_attempts: int
    retried_tokens: int
    retried_cost: float
    currency: str

    def __str__(self) -> str:
        return (
            f"{self.attempts:,} attempts for {self.requests:,} requests: {self.billed_attempts:,} billed, "
            f"{self.rate_limited_attempts:,} refused with 429 (not billed). The retries repeat "
            f"{self.retried_tokens:,} tokens, costing {self.retried_cost:,.4f} {self.currency}."
        )


def retry_storm(
    requests: int, usage: Any, price: Price, timed_out_retries: int = 0, rate_limited_retries: int = 0
) -> RetryStorm:
    """Price the retries of `requests` identical requests, each with `usage`.

    A 429 is refused before any token is processed, so it is not billed. A request the client gave up on
    at its timeout still ran on the service and is billed, and its retry is billed again: each of the
    `timed_out_retries` per request repeats the whole request's tokens.
    """
    counts = read_usage(usage)
    if min(requests, timed_out_retries, rate_limited_retries) < 0:
        raise ValueError("requests and retries are counts >= 0.")
    retried = requests * timed_out_retries
    return RetryStorm(
        requests=requests,
        attempts=requests * (1 + timed_out_retries + rate_limited_retries),
        billed_attempts=requests + retried,
        rate_limited_attempts=requests * rate_limited_retries,
        retried_tokens=retried * counts.total_tokens,
        retried_cost=retried * cost_of(counts, price),
        currency=price.currency,
    )
