"""Error bodies as Azure sends them, per route family (wire-format reference, section 5)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response

# Byte-exact texts from real recordings, wire-format reference §5.3 and §5.4.
AOAI_401 = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for "
    "an active subscription and use a correct regional API endpoint for your resource."
)
# Azure's answer to a bad, expired or wrong-audience Bearer token on Azure OpenAI and Foundry routes: no "error"
# envelope (run-llama/llama_index#12484, langchain-ai/langchain#17373, Azure/azure-sdk-for-python#40260).
ENTRA_401 = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), "
    "or have expired."
)
INFERENCE_401 = "Auth token validation failed. Please provide a valid key or a valid AAD token"
DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, please wait a moment and try again."
)
PERMISSION_DENIED = (
    "The principal lacks the required data action "
    "`Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform "
    "`POST /openai/deployments/{deployment-id}/chat/completions` operation."
)


class SafeJSONResponse(JSONResponse):
    """A JSONResponse that also renders text a client sent with lone surrogates (escaped, never a 500)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class RequestRejected(Exception):
    """Ends request handling early with a ready response (the app's exception handler sends it)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def azure_error(status: int, code: str | None, message: str, **extra: Any) -> JSONResponse:
    """``{"error": {"code": …, "message": …}}``, the envelope of Azure OpenAI and the v1 API."""
    return SafeJSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def unauthorized(family: str, bearer: bool = False) -> JSONResponse:
    """The 401 for a missing or wrong key, or (``bearer=True``) a bad Entra ID token, in the shape of that route."""
    if family == "provider":
        return JSONResponse({"detail": {"error": "Invalid API key"}}, status_code=401)
    if bearer and family != "serverless":
        return JSONResponse({"statusCode": 401, "message": ENTRA_401}, status_code=401)
    if family in ("inference", "serverless"):
        return JSONResponse(
            {"statusCode": 401, "message": INFERENCE_401},
            status_code=401,
            headers={"x-ms-error-reason": "Invalid JWT."},
        )
    return azure_error(401, "401", AOAI_401)


def api_version_not_supported() -> JSONResponse:
    """Azure's 400 for an ``api-version`` it does not serve (hotovo/aider-desk#460)."""
    return SafeJSONResponse({"error": {"code": "BadRequest", "message": "API version not supported"}}, status_code=400)


def permission_denied() -> JSONResponse:
    return azure_error(403, "PermissionDenied", PERMISSION_DENIED)


def deployment_not_found() -> JSONResponse:
    return azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND)


def resource_not_found() -> JSONResponse:
    return azure_error(404, "404", "Resource not found")


def bad_request(message: str, code: str = "BadRequest", param: str | None = None) -> JSONResponse:
    return azure_error(400, code, message, param=param, type="invalid_request_error")
