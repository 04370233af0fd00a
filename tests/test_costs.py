"""Tests for helpers.costs: the price table, costs of real SDK usages, the reasoning split, planning."""

import math

import numpy as np
import pandas as pd
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import ChatCompletions
from azure.core.credentials import AzureKeyCredential
from matplotlib.figure import Figure
from openai import OpenAI
from openai.types.chat import ChatCompletion

from helpers.costs import (
    PRICE_COLUMNS,
    PRICES_CSV,
    RETAIL_SNAPSHOT,
    Price,
    RateLimits,
    UsageLog,
    cost_of,
    learners_supported,
    load_prices,
    price_for,
    read_usage,
    retail_price_for,
    retail_prices,
    retry_storm,
    split_completion_tokens,
    workshop_estimate,
)
from helpers.tokens import count_prompt_tokens, count_tokens
from recorded_endpoint import ReplayServer

QUESTION = [{"role": "user", "content": "How many languages are in the world?"}]
DEEPINFRA = ("DeepInfra", "deepseek-ai/DeepSeek-R1-Turbo")
AZURE_R1 = ("Azure", "DeepSeek-R1", "Global Standard")
RETAIL_API = "https://prices.azure.com/api/retail/prices"
DEEPSEEK_PRICING = "https://api-docs.deepseek.com/quick_start/pricing"

# DeepSeek's own API reports reasoning tokens (a captured deepseek-reasoner usage, wire-format reference §6).
DEEPSEEK_API_USAGE = {
    "prompt_tokens": 6,
    "completion_tokens": 92,
    "total_tokens": 98,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 81},
    "prompt_cache_hit_tokens": 0,
    "prompt_cache_miss_tokens": 6,
}


@pytest.fixture(scope="module")
def server():
    with ReplayServer(timing="none") as running:
        yield running


@pytest.fixture(scope="module")
def v1(server):
    return OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=0)


@pytest.fixture(scope="module")
def inference(server):
    key = AzureKeyCredential(server.api_key)
    return ChatCompletionsClient(endpoint=f"{server.url}/models", credential=key)


# -- the price table ---------------------------------------------------------------------------------------


def test_price_table_has_every_column_and_a_source_for_every_row():
    table = load_prices()
    assert tuple(table.columns) == PRICE_COLUMNS
    assert (table["source_url"].str.startswith("https://")).all()
    assert set(table["currency"]) == {"USD"}
    assert table["verified"].dtype == bool


def test_deepinfra_price_is_the_one_published_in_seed_004():
    price = price_for(*DEEPINFRA)
    assert (price.input_per_million, price.output_per_million) == (1.00, 3.00)
    assert price.verified
    assert "deepinfra.com/deepseek-ai/DeepSeek-R1-Turbo" in price.source_url


def test_figures_not_checked_against_their_page_say_so():
    table = load_prices()
    unverified = table[~table["verified"]]
    assert set(unverified["model"]) == {"deepseek-reasoner", "deepseek-ai/DeepSeek-R1-0528"}
    provider = price_for("DeepInfra", "deepseek-ai/DeepSeek-R1-0528")
    assert "NOT verified" in str(provider) and "deepinfra.com" in str(provider)
    assert "gateway listings" in provider.note and "undated" in provider.note


def test_azure_rows_are_the_retail_meters_of_2026_08_11():
    azure = load_prices().query("provider == 'Azure'")
    assert azure["verified"].all() and set(azure["as_of"]) == {"2026-08-11"}
    assert azure["source_url"].str.startswith(RETAIL_API).all()
    r1 = {
        row.deployment_type: (row.input_per_million, row.output_per_million)
        for row in azure.query("model == 'DeepSeek-R1'").itertuples()
    }
    assert r1 == {
        "Global Standard": (1.35, 5.40),
        "Data Zone Standard": (1.485, 5.94),
        "Regional Standard": (1.485, 5.94),
    }
    assert set(azure.query("model == 'DeepSeek-R1'")["status"]) == {"retired 2026-08-13"}
    v4 = price_for("Azure", "DeepSeek-V4-Pro", "Global Standard")
    assert (v4.input_per_million, v4.output_per_million, v4.cached_input_per_million) == (1.74, 3.48, 0.145)
    flash = price_for("Azure", "DeepSeek-V4-Flash")
    assert (flash.input_per_million, flash.output_per_million) == (0.19, 0.51)
    assert "retired 2026-08-13" in str(price_for(*AZURE_R1))


def test_deepseek_api_has_peak_and_off_peak_rates_since_2026_08_16():
    rows = load_prices().query("provider == 'DeepSeek' and status == 'current'")
    assert set(rows["model"]) == {"deepseek-v4-pro", "deepseek-flash"}
    assert {row.model: row.as_of for row in rows.itertuples()} == {
        "deepseek-v4-pro": "2026-08-16",
        "deepseek-flash": "2026-09-10",
    }
    peak = price_for("DeepSeek", "deepseek-flash", "API, cache miss, peak")
    off_peak = price_for("DeepSeek", "deepseek-flash", "API, cache miss, off-peak")
    assert (peak.input_per_million, peak.output_per_million) == (0.30, 1.20)
    assert (off_peak.input_per_million, off_peak.output_per_million) == (0.15, 0.60)
    reasoner = load_prices().query("model == 'deepseek-reasoner'")
    assert set(reasoner["status"]) == {"history"} and reasoner["note"].str.contains("2026-07-24").all()


def test_the_retail_snapshot_agrees_with_the_price_table():
    retail = retail_prices(live=False)
    assert retail.attrs["source"] == "snapshot of 2026-08-11"
    for meter, model in (("V4 Pro", "DeepSeek-V4-Pro"), ("V4 Flash", "DeepSeek-V4-Flash"), ("R1", "DeepSeek-R1")):
        from_meters = retail_price_for(meter, "Global Standard", retail)
        listed = price_for("Azure", model, "Global Standard")
        assert (from_meters.input_per_million, from_meters.output_per_million) == (
            listed.input_per_million,
            listed.output_per_million,
        )
    gov = retail_price_for("V4 Pro", retail=retail_prices(live=False, region="usgovvirginia"))
    assert (gov.input_per_million, gov.output_per_million) == (2.09, 4.18)  # Azure Government costs more
    with pytest.raises(LookupError, match="no 'Azure Deepseek Models' meters in region 'mars'"):
        retail_prices(live=False, region="mars")
    with pytest.raises(LookupError, match="the meters cover"):
        retail_price_for("V9", retail=retail)


@pytest.fixture
def retail_api(monkeypatch):
    """A local HTTP server answering as the Retail Prices API does, with the snapshot split over two pages."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    snapshot = json.loads(RETAIL_SNAPSHOT.read_text())["answer"]
    seen = []

    class RetailPrices(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            query = parse_qs(urlsplit(self.path).query)
            seen.append(query)
            region = query["$filter"][0].split("armRegionName eq '")[1].split("'")[0] if "$filter" in query else ""
            items = [item for item in snapshot["Items"] if item["armRegionName"] == region]
            half = len(items) // 2
            second = "page" in query
            page = {**snapshot, "Items": items[half:] if second else items[:half], "Count": len(items)}
            page["NextPageLink"] = None if second else f"{base}/api/retail/prices?{urlsplit(self.path).query}&page=2"
            body = json.dumps(page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RetailPrices)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AZURE_RETAIL_PRICES_URL", f"{base}/api/retail/prices")
    yield seen
    server.shutdown()


def test_live_retail_prices_follow_the_pages_of_the_api(retail_api):
    live = retail_prices(live=True)
    assert live.attrs["source"].endswith("/api/retail/prices")
    assert len(retail_api) == 2 and "productName eq 'Azure Deepseek Models'" in retail_api[0]["$filter"][0]
    offline = retail_prices(live=False)
    pd.testing.assert_frame_equal(live.reset_index(drop=True), offline.reset_index(drop=True))
    assert retail_price_for("V4 Pro", retail=live).input_per_million == 1.74


def test_price_for_is_case_insensitive_and_explains_misses():
    assert price_for("azure", "deepseek-r1", "global standard") == price_for(*AZURE_R1)
    with pytest.raises(LookupError, match="The table has .*DeepInfra"):
        price_for("Azure", "DeepSeek-V3")
    with pytest.raises(LookupError, match="only \\['Data Zone Standard', 'Global Standard', 'Regional Standard'\\]"):
        price_for("Azure", "DeepSeek-R1", "Global Provisioned")


def test_price_for_takes_the_newest_row_or_the_one_current_at_a_date():
    assert price_for("DeepSeek", "deepseek-reasoner").as_of == "2025-09-29"
    older = price_for("DeepSeek", "deepseek-reasoner", as_of="2025-06")
    assert (older.as_of, older.input_per_million, older.output_per_million) == ("2025-01-20", 0.55, 2.19)
    with pytest.raises(LookupError, match="on or before '2024'"):
        price_for("DeepSeek", "deepseek-reasoner", as_of="2024")


def test_several_deployment_types_need_a_choice():
    with pytest.raises(LookupError, match="several deployment types"):
        price_for("Azure", "DeepSeek-R1")
    assert price_for("Azure", "DeepSeek-R1", "Data Zone Standard").input_per_million == 1.485


def test_an_edited_csv_and_an_own_dataframe_are_used(tmp_path):
    edited = tmp_path / "prices.csv"
    edited.write_text(PRICES_CSV.read_text().replace(",1.35,5.40,", ",1.50,6.00,"), encoding="utf-8")
    assert price_for(*AZURE_R1, prices=load_prices(edited)).output_per_million == 6.00
    own = pd.DataFrame(
        [
            {
                "provider": "Me",
                "model": "DeepSeek-R1",
                "deployment_type": "self-hosted",
                "input_per_million": 0.5,
                "output_per_million": 1.5,
                "currency": "USD",
                "source_url": "https://example.org",
                "as_of": "2026-11",
                "verified": False,
                "note": "my estimate",
            }
        ]
    )
    mine = price_for("me", "DeepSeek-R1", prices=own)
    assert cost_of({"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000}, mine) == 2.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_per_million": -1.0}, "input_per_million=-1.0"),
        ({"output_per_million": "cheap"}, "output_per_million='cheap'"),
        ({"as_of": "23/11/2026"}, "ISO date"),
        ({"verified": "maybe"}, "true or false"),
    ],
)
def test_a_broken_table_is_refused_with_the_fix(change, message):
    table = load_prices().astype({"output_per_million": object, "verified": object})
    for column, value in change.items():
        table.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        price_for(*DEEPINFRA, prices=table)


def test_a_table_without_a_column_is_refused():
    with pytest.raises(ValueError, match="lacks the columns \\['as_of'\\]"):
        price_for(*DEEPINFRA, prices=load_prices().drop(columns="as_of"))


# -- cost of a usage ---------------------------------------------------------------------------------------


def test_cost_of_charges_input_and_output_prices_per_million():
    assert cost_of({"prompt_tokens": 1_000_000, "completion_tokens": 0}, (1.0, 3.0)) == 1.0
    assert cost_of({"prompt_tokens": 0, "completion_tokens": 1_000_000}, (1.0, 3.0)) == 3.0
    published = {"prompt_tokens": 11, "completion_tokens": 886}
    assert cost_of(published, price_for(*DEEPINFRA)) == pytest.approx(0.002669)


def test_cost_of_reads_both_sdks_usage_from_real_requests(v1, inference):
    openai_response = v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION)
    azure_response = inference.complete(model="DeepSeek-R1", messages=QUESTION)
    azure = price_for(*AZURE_R1)
    expected = (11 * 1.35 + 886 * 5.40) / 1_000_000
    assert cost_of(openai_response.usage, azure) == pytest.approx(expected)
    assert cost_of(azure_response.usage, azure) == pytest.approx(expected)
    assert cost_of(openai_response, azure) == cost_of(azure_response, azure)  # a whole response works too


def test_provider_route_estimated_cost_is_the_table_price(server):
    provider = OpenAI(base_url=f"{server.url}/v1/openai", api_key=server.api_key, max_retries=0)
    hello = [{"role": "user", "content": "Hello!"}]
    response = provider.chat.completions.create(model=DEEPINFRA[1], messages=hello)
    reported = response.usage.model_extra["estimated_cost"]
    assert reported == round(cost_of(response.usage, price_for(*DEEPINFRA)), 8)
    assert reported == pytest.approx((5 * 1.00 + 65 * 3.00) / 1_000_000)


def test_seed_004_published_examples_do_not_come_from_r1_turbo_at_its_price():
    price = price_for(*DEEPINFRA)
    hello = cost_of({"prompt_tokens": 15, "completion_tokens": 16}, price)
    lamb = cost_of({"prompt_tokens": 149, "completion_tokens": 338}, price)
    assert hello == pytest.approx(0.000063) and lamb == pytest.approx(0.001163)
    assert hello / 0.0000268 == pytest.approx(2.35, abs=0.01)
    assert lamb / 0.00035493 == pytest.approx(3.28, abs=0.01)
    # One flat price per token would be $0.86 and $0.73 per 1M: not the same price in the two examples.
    assert 0.0000268 / 31 * 1e6 == pytest.approx(0.8645, abs=1e-4)
    assert 0.00035493 / 487 * 1e6 == pytest.approx(0.7288, abs=1e-4)
    # One input/output pair for both would make output cheaper than input: no price list looks like that.
    price_in, price_out = np.linalg.solve([[15, 16], [149, 338]], [26.8, 354.93])
    assert price_in == pytest.approx(1.258, abs=1e-3) and price_out == pytest.approx(0.495, abs=1e-3)
    # And DeepSeek-R1's own tokenizer does not give the published counts for the published texts.
    assert count_prompt_tokens([{"role": "user", "content": "Hello!"}]) == 5  # published: 15
    shown = " Hello! It's nice to meet you. Is there something I can help you with or would you like to chat for a bit?"
    assert count_tokens(shown) == 27  # published: 16 completion tokens, and no thinking at all


@pytest.mark.parametrize(
    ("usage", "error", "message"),
    [
        (None, ValueError, "response.usage"),
        ({"prompt_tokens": 3}, TypeError, "no 'completion_tokens'"),
        ({"prompt_tokens": -1, "completion_tokens": 2}, ValueError, "whole numbers"),
        ({"prompt_tokens": True, "completion_tokens": 2}, ValueError, "whole numbers"),
        ({"choices": [], "usage": None}, ValueError, "include_usage"),
    ],
)
def test_bad_usage_is_refused_with_the_fix(usage, error, message):
    with pytest.raises(error, match=message):
        cost_of(usage, (1.0, 3.0))


def test_a_price_must_be_a_price():
    with pytest.raises(TypeError, match="price_for"):
        cost_of({"prompt_tokens": 1, "completion_tokens": 1}, 3.0)


# -- reasoning vs answer tokens ----------------------------------------------------------------------------


def test_published_answer_splits_into_737_thinking_tokens_of_886_on_both_routes(v1, inference):
    openai_response = v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION)
    for response in (openai_response, inference.complete(model="DeepSeek-R1", messages=QUESTION)):
        split = split_completion_tokens(response)
        assert (split.reasoning_tokens, split.answer_tokens, split.source) == (737, 149, "counted")
        assert split.reasoning_share == pytest.approx(737 / 886)


def test_without_usage_both_parts_are_counted_from_the_text(v1):
    message = v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION).choices[0].message
    split = split_completion_tokens(message)
    # The page shows 48 tokens of answer; the service billed 149: the published answer is cut short.
    assert (split.reasoning_tokens, split.answer_tokens, split.source) == (737, 48, "counted")
    content = f"<think>\n{message.reasoning_content}\n</think>\n\n{message.content}"
    as_dict = {"role": "assistant", "content": content}
    assert split_completion_tokens(as_dict) == split


def test_a_thinking_cut_by_max_tokens_is_all_reasoning(v1):
    response = v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION, max_tokens=500)
    assert response.choices[0].finish_reason == "length" and response.choices[0].message.content is None
    split = split_completion_tokens(response)
    assert (split.reasoning_tokens, split.answer_tokens) == (500, 0)


def test_the_services_reasoning_tokens_win_when_sent():
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hi!", "reasoning_content": "Greet back."},
            }
        ],
        "usage": DEEPSEEK_API_USAGE,
    }
    for response in (body, ChatCompletion.model_validate(body), ChatCompletions(body)):
        split = split_completion_tokens(response)
        assert (split.reasoning_tokens, split.answer_tokens, split.source) == (81, 11, "service")
    assert read_usage(ChatCompletion.model_validate(body).usage).reasoning_tokens == 81


def test_a_stream_chunk_without_choices_is_refused():
    with pytest.raises(ValueError, match="pass the message"):
        split_completion_tokens({"choices": [], "usage": DEEPSEEK_API_USAGE})


# -- usage log and workshop planning -----------------------------------------------------------------------


@pytest.fixture()
def log(v1):
    log = UsageLog(price_for(*AZURE_R1), lesson="08")
    log.add("languages", v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION))
    log.add("cut", v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION, max_tokens=500))
    hello = [{"role": "user", "content": "Hello!"}]
    log.add("hello", v1.chat.completions.create(model="DeepSeek-R1", messages=hello), lesson="04")
    return log


def test_usage_log_frame(log, v1):
    frame = log.to_frame()
    assert list(frame["request"]) == ["languages", "cut", "hello"]
    assert list(frame["lesson"]) == ["08", "08", "04"]
    hello = v1.chat.completions.create(model="DeepSeek-R1", messages=[{"role": "user", "content": "Hello!"}])
    hello_thinking = count_tokens(f"<think>\n{hello.choices[0].message.reasoning_content}\n</think>\n\n")
    assert list(frame["reasoning_tokens"]) == [737, 500, hello_thinking]
    assert (frame["reasoning_tokens"] + frame["answer_tokens"] == frame["completion_tokens"]).all()
    assert frame["cost_usd"][1] == pytest.approx((11 * 1.35 + 500 * 5.40) / 1e6)
    assert set(frame["reasoning_from"]) == {"counted"}


def test_usage_log_chart_stacks_thinking_and_answer(log):
    figure = log.plot()
    assert isinstance(figure, Figure)
    tokens_axes, cost_axes = figure.axes
    thinking_bars, answer_bars = tokens_axes.containers
    frame = log.to_frame()
    assert [bar.get_width() for bar in thinking_bars] == list(frame["reasoning_tokens"])
    assert [bar.get_x() for bar in answer_bars] == list(frame["reasoning_tokens"])  # after the thinking
    assert [bar.get_width() for bar in cost_axes.containers[0]] == pytest.approx(list(frame["cost_usd"]))


def test_usage_log_refuses_what_it_cannot_sum(v1):
    with pytest.raises(ValueError, match="empty"):
        UsageLog().to_frame()
    response = v1.chat.completions.create(model="DeepSeek-R1", messages=QUESTION)
    with pytest.raises(ValueError, match="No price"):
        UsageLog().add("x", response)
    euro = Price("X", "DeepSeek-R1", "test", 1.0, 1.0, currency="EUR")
    log = UsageLog(price_for(*DEEPINFRA))
    with pytest.raises(ValueError, match="in USD"):
        log.add("x", response, price=euro)


def test_workshop_estimate_multiplies_by_learners(log):
    estimate = workshop_estimate(log, learners=30)
    frame = log.to_frame()
    assert list(estimate.index) == ["04", "08", "workshop total"]
    assert estimate.loc["08", "requests"] == 2
    assert estimate.loc["workshop total", "cost_per_learner"] == pytest.approx(frame["cost_usd"].sum())
    assert estimate.loc["workshop total", "cost_all_learners"] == pytest.approx(30 * frame["cost_usd"].sum())
    cheaper = workshop_estimate(frame, learners=30, price=price_for(*DEEPINFRA))
    tokens = frame[["prompt_tokens", "completion_tokens"]].sum()
    assert cheaper.loc["workshop total", "cost_all_learners"] == pytest.approx(
        30 * (tokens["prompt_tokens"] * 1.0 + tokens["completion_tokens"] * 3.0) / 1e6
    )
    with pytest.raises(ValueError, match="whole number of learners"):
        workshop_estimate(log, learners=0)


def test_learners_supported_with_seed_001_limits():
    relaxed = learners_supported(requests_per_learner_per_minute=1, tokens_per_request=897)
    assert (relaxed.learners, relaxed.by_requests, relaxed.by_tokens) == (5000, 5000, 5574)
    assert relaxed.binding == "requests"
    heavy = learners_supported(requests_per_learner_per_minute=10, tokens_per_request=2000)
    assert (heavy.learners, heavy.binding) == (250, "tokens")
    assert "250 learners" in str(heavy) and "token limit binds" in str(heavy)
    small = learners_supported(1, 100, RateLimits(requests_per_minute=60, tokens_per_minute=1000))
    assert small.learners == 10
    with pytest.raises(ValueError, match="positive"):
        learners_supported(0, 100)


def test_retry_storm_bills_timeouts_not_429s():
    azure = price_for(*AZURE_R1)
    usage = {"prompt_tokens": 11, "completion_tokens": 886}
    storm = retry_storm(30, usage, azure, timed_out_retries=2, rate_limited_retries=3)
    assert (storm.attempts, storm.billed_attempts, storm.rate_limited_attempts) == (180, 90, 90)
    assert storm.retried_tokens == 60 * 897
    assert storm.retried_cost == pytest.approx(60 * cost_of(usage, azure))
    only_429 = retry_storm(30, usage, azure, rate_limited_retries=5)
    assert (only_429.retried_tokens, only_429.retried_cost, only_429.billed_attempts) == (0, 0.0, 30)
    assert math.isclose(retry_storm(0, usage, azure, timed_out_retries=2).retried_cost, 0.0)


def test_an_own_table_without_the_optional_columns_prints_cleanly():
    own = pd.concat(
        [
            load_prices(),
            pd.DataFrame(
                [
                    {
                        "provider": "Me",
                        "model": "DeepSeek-V4-Pro",
                        "deployment_type": "agreement",
                        "input_per_million": 1.5,
                        "output_per_million": 3.0,
                        "currency": "USD",
                        "source_url": "https://example.org",
                        "as_of": "2026-11",
                        "verified": False,
                        "note": "",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    mine = price_for("me", "DeepSeek-V4-Pro", prices=own)
    assert (mine.status, mine.cached_input_per_million) == ("", None)
    assert "nan" not in str(mine)
