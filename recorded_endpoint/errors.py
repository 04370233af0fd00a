"""Error bodies as Azure sends them, per route family (wire-format reference, section 5)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# Byte-exact texts from real recordings, wire-format reference §5.3 and §5.4.
AOAI_401 = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for "
    "an active subscription and use a correct regional API endpoint for your resource."
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


def azure_error(status: int, code: str | None, message: str, **extra: Any) -> JSONResponse:
    """``{"error": {"code": …, "message": …}}``, the envelope of Azure OpenAI and the v1 API."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def unauthorized(family: str) -> JSONResponse:
    """The 401 the service sends for a missing or wrong key, in the shape of that route."""
    if family in ("inference", "serverless"):
        return JSONResponse(
            {"statusCode": 401, "message": INFERENCE_401},
            status_code=401,
            headers={"x-ms-error-reason": "Invalid JWT."},
        )
    if family == "provider":
        return JSONResponse({"detail": {"error": "Invalid API key"}}, status_code=401)
    return azure_error(401, "401", AOAI_401)


def permission_denied() -> JSONResponse:
    return azure_error(403, "PermissionDenied", PERMISSION_DENIED)


def deployment_not_found() -> JSONResponse:
    return azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND)


def resource_not_found() -> JSONResponse:
    return azure_error(404, "404", "Resource not found")


def bad_request(message: str, code: str = "BadRequest", param: str | None = None) -> JSONResponse:
    return azure_error(400, code, message, param=param, type="invalid_request_error")
