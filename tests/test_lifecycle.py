"""helpers.lifecycle: the dated, sourced table of DeepSeek models on Microsoft Foundry, and its messages."""

from __future__ import annotations

from datetime import date

import openai
import pytest
from azure.core.exceptions import HttpResponseError

from helpers.lifecycle import (
    LIFECYCLE_CSV,
    SCHEDULE_URL,
    check_model,
    explain_retired,
    known_models,
    lifecycle_of,
    load_lifecycle,
)
from helpers.settings import Settings

TODAY = date(2026, 12, 1)


def test_every_row_is_dated_and_sourced():
    table = load_lifecycle()
    assert list(table.columns) == [
        "model",
        "version",
        "lifecycle",
        "retirement_date",
        "replacement",
        "source_url",
        "as_of",
        "note",
    ]
    assert (table["source_url"] == SCHEDULE_URL).all()
    assert set(table["as_of"]) == {"2026-09-02"}  # the schedule page's "updated" date
    assert set(table["lifecycle"]) <= {"GA", "Preview", "Legacy", "Retired"}
    for day in table["retirement_date"]:
        assert day == "" or date.fromisoformat(day)
    replacements = set(table["replacement"]) - {""}
    assert replacements <= set(table["model"]), "every replacement is itself in the table"


def test_the_schedule_of_2026_09_02():
    r1 = lifecycle_of("DeepSeek-R1", "1")
    assert (r1.lifecycle, r1.retirement_date, r1.replacement) == ("Retired", date(2026, 8, 13), "DeepSeek-V4-Pro")
    assert lifecycle_of("DeepSeek-R1-0528").retirement_date == date(2026, 7, 13)
    for retired_flash in ("DeepSeek-V3-0324", "DeepSeek-V3.1"):
        assert lifecycle_of(retired_flash).replacement == "DeepSeek-V4-Flash"
    v4 = lifecycle_of("deepseek-v4-pro")  # Azure compares model names without regard to case
    assert (v4.model, v4.version, v4.lifecycle, v4.retirement_date) == (
        "DeepSeek-V4-Pro",
        "2026-04-23",
        "GA",
        date(2028, 2, 20),
    )
    assert lifecycle_of("DeepSeek-V3.2").retirement_date is None


def test_a_retired_model_gets_date_replacement_and_source():
    message = check_model("DeepSeek-R1", "1", today=TODAY)
    assert "DeepSeek-R1 version 1 was retired on Azure on 2026-08-13" in message
    assert "Deploy DeepSeek-V4-Pro instead (AZURE_DEEPSEEK_MODEL, lesson 02)" in message
    assert SCHEDULE_URL in message and "2026-09-02" in message


def test_a_model_retiring_within_30_days_is_announced():
    message = check_model("DeepSeek-V4-Flash-0731", today=TODAY)
    assert "retires on 2026-12-03, in 2 days" in message
    assert check_model("DeepSeek-V4-Flash-0731", today=date(2026, 11, 1)) is None  # 32 days ahead: quiet
    assert "retires on 2028-02-20, in 30 days" in check_model("DeepSeek-V4-Pro", today=date(2028, 1, 21))


def test_the_live_default_is_fine_today():
    assert check_model("DeepSeek-V4-Pro", "2026-04-23", today=TODAY) is None


def test_a_model_past_its_date_counts_as_retired_even_if_the_table_says_ga():
    assert "was retired on Azure on 2028-02-20" in check_model("DeepSeek-V4-Pro", today=date(2028, 3, 1))


def test_an_unknown_model_lists_the_known_ones():
    message = check_model("DeepSeek-R2", today=TODAY)
    assert "DeepSeek-R2 is not in the course's lifecycle table (as of 2026-09-02)" in message
    assert "Known models: " + ", ".join(known_models()) in message
    assert "not in the course's lifecycle table" in check_model("DeepSeek-R1", "2", today=TODAY)  # unknown version


def _openai_error(status: int, message: str) -> openai.APIStatusError:
    import httpx2

    request = httpx2.Request("POST", "https://myres.openai.azure.com/openai/v1/chat/completions")
    response = httpx2.Response(status, request=request, json={"error": {"code": "x", "message": message}})
    return openai.APIStatusError(message, response=response, body={"code": "x", "message": message})


def _settings(model: str, version: str) -> Settings:
    return Settings(mode="live", endpoint="https://myres.openai.azure.com", model=model, model_version=version)


def test_a_refused_request_to_a_retired_model_names_the_retirement_and_the_fix():
    error = _openai_error(404, "The API deployment for this resource does not exist.")
    message = explain_retired(error, _settings("DeepSeek-R1", "1"), today=TODAY)
    assert message.startswith("This request failed because the model behind it is retired.")
    assert "2026-08-13" in message and "Deploy DeepSeek-V4-Pro instead" in message


def test_an_error_that_says_retired_is_explained_even_without_settings():
    error = _openai_error(400, "The model 'DeepSeek-R1-0528' has been retired.")
    message = explain_retired(error, today=TODAY)
    assert "DeepSeek-R1-0528 version 1 was retired on Azure on 2026-07-13" in message  # not read as DeepSeek-R1


def test_an_arm_error_about_a_deprecated_model_is_explained():
    error = HttpResponseError(message="(ModelDeprecated) The model is deprecated and can no longer be deployed.")
    assert "retired" in explain_retired(error, today=TODAY)


def test_other_failures_are_not_blamed_on_retirement():
    assert (
        explain_retired(
            _openai_error(401, "Access denied due to invalid subscription key."),
            _settings("DeepSeek-V4-Pro", "2026-04-23"),
            today=TODAY,
        )
        is None
    )
    assert explain_retired(ValueError("something else"), None, today=TODAY) is None
    assert explain_retired(_openai_error(500, "Internal error"), _settings("DeepSeek-R1", "1"), today=TODAY) is None


def test_the_table_ships_beside_the_price_table():
    assert LIFECYCLE_CSV.parent.joinpath("prices.csv").is_file()


@pytest.mark.parametrize("model", ["", "   "])
def test_an_empty_name_is_unknown_not_a_crash(model):
    assert "is not in the course's lifecycle table" in check_model(model, today=TODAY)


def test_a_retired_model_is_deployed_as_its_replacement():
    from helpers.lifecycle import model_to_deploy

    assert model_to_deploy("DeepSeek-R1", "1", TODAY) == ("DeepSeek-V4-Pro", "2026-04-23")
    assert model_to_deploy("DeepSeek-V3.1", "1", TODAY) == ("DeepSeek-V4-Flash", "2026-04-23")
    assert model_to_deploy("DeepSeek-V4-Pro", "2026-04-23", TODAY) == ("DeepSeek-V4-Pro", "2026-04-23")
    assert model_to_deploy("my-model", "7", TODAY) == ("my-model", "7")
