"""The response headers Azure sends with a model's answer, per route family, with fresh ids per request.

Real captures (wire-format reference, "Response headers observed in recordings"):

* Azure OpenAI routes, classic (2025-01) and v1 (2026-01): ``apim-request-id``, ``x-request-id``, ``x-ms-region``,
  ``x-ms-rai-invoked``, ``x-ms-deployment-name`` (v1), ``x-ms-client-request-id`` (``Not-Set`` when the client sent
  none), ``x-ratelimit-limit-*`` / ``x-ratelimit-remaining-*``, ``strict-transport-security``,
  ``x-content-type-options: nosniff``; no ``server`` and no ``cache-control`` header.
* The serverless model-inference endpoint (MaaS): ``x-request-id``, ``x-ms-rai-invoked``.
* The Foundry ``/models`` route: no capture found; it is served by the same resource as the Azure OpenAI routes,
  so it gets their set [X].

The ids are fresh per request (the openai SDK's ``response._request_id`` reads ``x-request-id``). The rate-limit
numbers are the remaining budget of a fresh minute, not a count of this server's traffic [X]. Headers a response
already carries (a recorded 429's) are left as they are.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .routes import CHAT_PATHS, RESPONSES_PATHS, Family

REGION = "East US 2"  # the region of the real classic capture and of the course's recorded resource group
DEPLOYMENT = "DeepSeek-R1"
RATE_LIMITS = {  # a DeepSeek-R1 GlobalStandard deployment of 5,000 (thousand) tokens per minute [X]
    "x-ratelimit-limit-requests": "5000",
    "x-ratelimit-limit-tokens": "5000000",
    "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-remaining-tokens": "4990000",
}
SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # what may be echoed from the path into a header
SECURITY = {
    "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
    "x-content-type-options": "nosniff",
}


def family_of(path: str) -> Family | None:
    """The route family a request path belongs to, or None for paths that are not a model's routes."""
    if path.startswith("/openai/deployments/") and path.endswith(("/chat/completions", "/info")):
        return Family.CLASSIC
    for family, chat_path in CHAT_PATHS.items():
        if family is not Family.CLASSIC and path == chat_path:
            return family
    if path.endswith("/openai/v1/responses") and (path == RESPONSES_PATHS[0] or path.startswith("/api/projects/")):
        return Family.RESPONSES
    if path.endswith(("/openai/v1/models", "/openai/models")):  # Learn lists apim-request-id among their headers
        return Family.V1
    if path in ("/models/info", "/info"):
        return Family.INFERENCE if path.startswith("/models") else Family.SERVERLESS
    return None


def azure_headers(family: Family, path: str) -> dict[str, str]:
    """The headers Azure adds to an answer on ``family``'s route (``x-ms-client-request-id`` is added apart)."""
    request_id = str(uuid.uuid4())
    if family is Family.PROVIDER:  # not Azure: the provider's own headers are not part of the course
        return {}
    if family is Family.SERVERLESS:
        return {"x-request-id": request_id, "x-ms-rai-invoked": "true"}
    named = path.split("/")[3] if family is Family.CLASSIC else ""
    deployment = named if SAFE_NAME.fullmatch(named) else DEPLOYMENT
    return {
        "apim-request-id": str(uuid.uuid4()),
        "x-request-id": request_id,
        "x-ms-region": REGION,
        "x-ms-rai-invoked": "true",
        "x-ms-deployment-name": deployment,
        **RATE_LIMITS,
        **SECURITY,
    }


class AzureHeaders:
    """Pure ASGI middleware: adds :func:`azure_headers` to every response on a model's routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        family = family_of(scope.get("path", "")) if scope["type"] == "http" else None
        if family is None:
            await self.app(scope, receive, send)
            return
        extra = [(name.encode(), value.encode()) for name, value in azure_headers(family, scope["path"]).items()]
        if b"apim-request-id" in dict(extra):  # the Azure OpenAI set echoes the client's id, as Azure does
            client_id = dict(scope.get("headers") or []).get(b"x-ms-client-request-id", b"")[:128]
            extra.append((b"x-ms-client-request-id", client_id or b"Not-Set"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
