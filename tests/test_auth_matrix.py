"""Who gets in: every kind of credential against every route family, over http and https, with a room key.

The rule under test: nothing answers 2xx unless the request carries the room key, or a recorded Entra ID token
signed with it for an audience that route accepts. Raw HTTP (httpx), so the test sends exactly what it says.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from recorded_endpoint import ReplayServer
from recorded_endpoint.constants import DEFAULT_API_KEY, RECORDED_SUBSCRIPTION_ID
from recorded_endpoint.identity import sign_token
from recorded_endpoint.wire import PROVIDER_MODEL

ROOM_KEY = "room-key-for-the-auth-matrix-0123"
HELLO = [{"role": "user", "content": "Hello!"}]
INFERENCE_VERSION = "?api-version=2024-05-01-preview"

# route name -> (method, path, JSON body or None)
ROUTES: dict[str, tuple[str, str, dict | None]] = {
    "v1": ("POST", "/openai/v1/chat/completions", {"model": "DeepSeek-R1", "messages": HELLO}),
    "classic": ("POST", "/openai/deployments/DeepSeek-R1/chat/completions?api-version=2024-10-21", {"messages": HELLO}),
    "inference": ("POST", f"/models/chat/completions{INFERENCE_VERSION}", {"model": "DeepSeek-R1", "messages": HELLO}),
    "serverless": ("POST", f"/chat/completions{INFERENCE_VERSION}", {"messages": HELLO}),
    "provider": ("POST", "/v1/openai/chat/completions", {"model": PROVIDER_MODEL, "messages": HELLO}),
    "models-info": ("GET", f"/models/info{INFERENCE_VERSION}", None),
    "serverless-info": ("GET", f"/info{INFERENCE_VERSION}", None),
    "responses": ("POST", "/openai/v1/responses", {"model": "DeepSeek-R1", "input": "Hello!"}),
    "v1-models": ("GET", "/openai/v1/models", None),
    "management": ("GET", f"/subscriptions/{RECORDED_SUBSCRIPTION_ID}/resourcegroups?api-version=2021-04-01", None),
}
DATA_ROUTES = [name for name in ROUTES if name != "management"]
TOKEN_ROUTES = {  # the audiences a correctly signed token may carry on each route
    "v1": {"ai.azure.com", "cognitiveservices.azure.com"},
    "classic": {"ai.azure.com", "cognitiveservices.azure.com"},
    "responses": {"ai.azure.com", "cognitiveservices.azure.com"},
    "v1-models": {"ai.azure.com", "cognitiveservices.azure.com"},
    "inference": {"ai.azure.com", "cognitiveservices.azure.com"},
    "models-info": {"ai.azure.com", "cognitiveservices.azure.com"},
    "serverless": {"ai.azure.com", "cognitiveservices.azure.com", "ml.azure.com"},
    "serverless-info": {"ai.azure.com", "cognitiveservices.azure.com", "ml.azure.com"},
    "management": {"management.azure.com"},
}
AUDIENCES = ("ai.azure.com", "cognitiveservices.azure.com", "ml.azure.com", "management.azure.com")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def tampered(token: str, audience: str) -> str:
    """A correctly signed token with its audience rewritten: the signature no longer fits."""
    prefix, old_audience, rest = token.split(":", 2)
    return f"{prefix}:{audience}:{rest}"


# Credentials that do not carry the room key. name -> headers
NO_KEY: dict[str, Callable[[], dict[str, str]]] = {
    "nothing": lambda: {},
    "wrong api-key": lambda: {"api-key": ROOM_KEY[:-1] + "x"},
    "the public default key": lambda: {"api-key": DEFAULT_API_KEY},
    "wrong key as Bearer": lambda: bearer(ROOM_KEY.upper()),
    "key as Basic": lambda: {"authorization": "Basic " + base64.b64encode(f"user:{ROOM_KEY}".encode()).decode()},
    "empty Bearer": lambda: {"authorization": "Bearer"},
    "JWT-shaped garbage": lambda: bearer("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FpLmF6dXJlLmNvbSJ9.c2ln"),
    **{f"unsigned {aud}": (lambda aud=aud: bearer(f"recorded-entra:{aud}")) for aud in AUDIENCES},
    **{
        f"garbage signature {aud}": (lambda aud=aud: bearer(f"recorded-entra:{aud}:role:{int(time.time()) + 600}:AAAA"))
        for aud in AUDIENCES
    },
    **{
        f"signed with the default key {aud}": (lambda aud=aud: bearer(sign_token(DEFAULT_API_KEY, aud)))
        for aud in AUDIENCES
    },
    **{f"signed with another key {aud}": (lambda aud=aud: bearer(sign_token("another-key", aud))) for aud in AUDIENCES},
    **{
        f"tampered to {aud}": (lambda aud=aud: bearer(tampered(sign_token(ROOM_KEY, "none"), aud)))
        for aud in AUDIENCES
    },
}


@pytest.fixture(scope="module", params=["http", "https"])
def room(request) -> Iterator[tuple[ReplayServer, httpx.Client]]:
    with ReplayServer(api_key=ROOM_KEY, tls=request.param == "https") as server:
        verify = str(server.certificates.ca_bundle) if server.certificates else True
        with httpx.Client(base_url=server.url, verify=verify, timeout=10) as client:
            yield server, client


def call(client: httpx.Client, route: str, headers: dict[str, str]) -> httpx.Response:
    method, path, body = ROUTES[route]
    return client.request(method, path, json=body, headers=headers)


def test_nothing_gets_in_without_the_key(room):
    _, client = room
    let_in = []
    for credential, headers in NO_KEY.items():
        for route in ROUTES:
            response = call(client, route, headers())
            assert response.status_code < 500, (credential, route, response.text)
            if response.status_code < 400:
                let_in.append((credential, route, response.status_code))
            else:
                assert response.status_code in (401, 403), (credential, route, response.text)
    assert let_in == []


def test_a_token_signed_with_the_key_gets_in_only_for_the_audiences_of_that_route(room):
    _, client = room
    wrong_door = []
    for audience in AUDIENCES:
        headers = bearer(sign_token(ROOM_KEY, audience))
        for route, accepted in TOKEN_ROUTES.items():
            status = call(client, route, headers).status_code
            if (status < 300) != (audience in accepted):
                wrong_door.append((audience, route, status))
    assert wrong_door == []


def test_expired_and_roleless_tokens_are_refused(room):
    _, client = room
    expired = bearer(sign_token(ROOM_KEY, "ai.azure.com", expires_on=int(time.time()) - 1))
    no_role = bearer(sign_token(ROOM_KEY, "ai.azure.com", has_role=False))
    for route in ("v1", "classic", "responses"):
        assert call(client, route, expired).status_code == 401
        assert call(client, route, no_role).status_code == 403


def test_the_key_gets_in_on_every_data_route_as_header_or_bearer(room):
    _, client = room
    for route in DATA_ROUTES:
        assert call(client, route, {"api-key": ROOM_KEY}).status_code == 200, route
        assert call(client, route, bearer(ROOM_KEY)).status_code == 200, route


@pytest.mark.parametrize("route", ["v1", "classic", "inference", "responses"])
def test_a_bad_token_gets_azures_entra_401_without_an_error_envelope(room, route):
    _, client = room
    response = call(client, route, bearer(sign_token("another-key", "ai.azure.com")))
    assert response.status_code == 401
    if route != "responses":  # the Responses API's error shape is the Responses engineer's
        assert response.json() == {
            "statusCode": 401,
            "message": "Unauthorized. Access token is missing, invalid, audience is incorrect "
            "(https://cognitiveservices.azure.com), or have expired.",
        }


def test_a_wrong_key_keeps_the_api_key_text(room):
    _, client = room
    body = call(client, "v1", {"api-key": "not-the-key"}).json()
    assert body["error"]["code"] == "401" and body["error"]["message"].startswith("Access denied")
    body = call(client, "serverless", bearer(sign_token("another-key", "ml.azure.com"))).json()
    assert body["message"].startswith("Auth token validation failed")
