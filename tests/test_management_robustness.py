"""The Resource Manager routes under bad input, over raw HTTP against the whole recorded endpoint.

Whatever an authenticated client sends (bodies too large, too deep, numbers too long, text that is not valid
Unicode, arbitrary names and paths), the answer is an ARM-shaped JSON 4xx within a few seconds: never a 5xx,
never a hang. Hypothesis generates the inputs; the cases reported against the old plane are listed by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorded_endpoint import ReplayServer
from recorded_endpoint.identity import sign_token
from recorded_endpoint.limits import MAX_BODY_BYTES

SUB = "00000000-0000-0000-0000-0000000000bb"
GROUP = f"/subscriptions/{SUB}/resourcegroups/rg-robust"
ACCOUNT = f"{GROUP}/providers/Microsoft.CognitiveServices/accounts/acct-robust"
VERSION = "?api-version=2025-09-01"
TIMEOUT = httpx.Timeout(10.0)  # a request that takes longer counts as a hang
KEY = "robustness-room-key-1234"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with ReplayServer(api_key=KEY) as server:
        token = {"Authorization": f"Bearer {sign_token(KEY, 'management.azure.com')}"}
        with httpx.Client(base_url=server.url, headers=token, timeout=TIMEOUT) as client:
            assert client.put(GROUP + VERSION, json={"location": "eastus2"}).status_code in (200, 201)
            body = {"kind": "AIServices", "sku": {"name": "S0"}, "location": "eastus2"}
            assert client.put(ACCOUNT + VERSION, json=body).status_code in (200, 201)
            for _ in range(3):  # poll the account to Succeeded
                client.get(ACCOUNT + VERSION)
            yield client


def assert_arm_answer(response: httpx.Response) -> None:
    """A 2xx, or a 4xx with ARM's error envelope; never a 5xx."""
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400 and response.content:  # HEAD answers carry no body
        error = response.json()["error"]
        assert error["code"] and error["message"]


def send(http: httpx.Client, method: str, path: str, content: bytes | None = None) -> httpx.Response:
    headers = {"content-type": "application/json"} if content is not None else {}
    response = http.request(method, path, content=content, headers=headers)
    assert_arm_answer(response)
    return response


# ------------------------------------------------------------------ the reported cases


TARGETS = [("PUT", GROUP + VERSION), ("PUT", ACCOUNT + VERSION), ("PUT", ACCOUNT + "/deployments/d1" + VERSION)]
REPORTED = {
    "arrays nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 5,000 deep": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "a 5,000-digit integer": b'{"location": "eastus2", "n": ' + b"9" * 5_000 + b"}",
    "a lone surrogate location": b'{"location": "\\ud800"}',
    "a lone surrogate tag name": b'{"location": "eastus2", "tags": {"\\udfff": "x"}}',
    "NaN": b'{"location": "eastus2", "n": NaN}',
    "not UTF-8": b'{"location": "\xff\xfe"}',
    "tags that are not strings": b'{"location": "eastus2", "tags": {"a": {"b": 1}}}',
    "51 tags": json.dumps({"location": "eastus2", "tags": {f"t{n}": "v" for n in range(51)}}).encode(),
}


@pytest.mark.parametrize("method,path", TARGETS)
@pytest.mark.parametrize("name", list(REPORTED))
def test_reported_bodies_get_a_400(http: httpx.Client, method: str, path: str, name: str) -> None:
    response = send(http, method, path, REPORTED[name])
    assert response.status_code == 400, (name, response.text[:200])


def test_a_body_over_the_limit_is_413_and_never_stored(http: httpx.Client) -> None:
    huge = json.dumps({"location": "eastus2", "tags": {"a": "x" * MAX_BODY_BYTES}}).encode()
    response = send(http, "PUT", f"/subscriptions/{SUB}/resourcegroups/rg-huge{VERSION}", huge)
    assert response.status_code == 413
    assert send(http, "GET", f"/subscriptions/{SUB}/resourcegroups/rg-huge{VERSION}").status_code == 404


def test_a_long_tag_value_is_refused_as_arm_limits_tags(http: httpx.Client) -> None:
    body = json.dumps({"location": "eastus2", "tags": {"a": "x" * 257}}).encode()
    response = send(http, "PUT", GROUP + VERSION, body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "InvalidTag")


@pytest.mark.parametrize(
    "path",
    [
        f"/subscriptions/{SUB}/resourcegroups/%ED%A0%80{VERSION}",  # a UTF-8-encoded surrogate in the path
        f"/subscriptions/{SUB}/resourcegroups/{'r' * 5000}{VERSION}",
        f"/subscriptions/{'x' * 5000}/resourcegroups{VERSION}",
        f"/subscriptions/{SUB}/resourcegroups?api-version={'9' * 5000}",
        f"/subscriptions/{SUB}/resourcegroups/rg-robust/{VERSION}",  # trailing slash: no Host-built redirect
        f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/%F0%9F%92%A5/models{VERSION}",
    ],
)
def test_odd_paths_get_an_arm_answer(http: httpx.Client, path: str) -> None:
    response = send(http, "GET", path)
    assert response.status_code < 500 and "location" not in response.headers


# ------------------------------------------------------------------ generated input

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(["location", "kind", "sku", "properties", "tags", "identity", "name"])
BODIES = st.dictionaries(FIELDS, JSON, max_size=5) | JSON
NAMES = st.text(min_size=1, max_size=30)


def _escape_all(text: str) -> str:
    """JSON with every non-ASCII character escaped, so lone surrogates reach the server as ``\\udXXX``."""
    return json.dumps(text)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), body=BODIES)
def test_generated_bodies_never_get_a_5xx(http: httpx.Client, target: tuple[str, str], body: object) -> None:
    method, path = target
    send(http, method, path, json.dumps(body).encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(location=st.text(max_size=12), tag=st.text(max_size=12), value=st.text(max_size=12))
def test_generated_text_with_any_code_point_never_gets_a_5xx(
    http: httpx.Client, location: str, tag: str, value: str
) -> None:
    # json.dumps escapes lone surrogates as \udXXX instead of failing, so every code point reaches the server.
    body = f'{{"location": {_escape_all(location)}, "tags": {{{_escape_all(tag)}: {_escape_all(value)}}}}}'
    send(http, "PUT", f"/subscriptions/{SUB}/resourcegroups/rg-gen{VERSION}", body.encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]),
    name=NAMES,
    kind=st.sampled_from(
        ["resourcegroups/", "resourcegroups/rg-robust/providers/Microsoft.CognitiveServices/accounts/"]
    ),
)
def test_generated_names_never_get_a_5xx(http: httpx.Client, method: str, name: str, kind: str) -> None:
    path = f"/subscriptions/{SUB}/{kind}{quote(name.encode('utf-8', 'surrogatepass'), safe='')}{VERSION}"
    send(http, method, path, b"{}" if method in ("PUT", "POST", "PATCH") else None)
