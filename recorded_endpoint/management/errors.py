"""ARM's error answers: the exception the routes raise, and the one Starlette handler that renders it.

Every error is ARM's JSON shape ``{"error": {"code": ..., "message": ...}}`` with ARM's codes. Texts marked
*real* come from answers quoted in public recordings or issues; the others are *authored to ARM's documented
error format* and say so.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ArmError(Exception):
    """An ARM error answer: HTTP status plus ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class ArmJSONResponse(JSONResponse):
    """JSON as ARM sends it, escaped to ASCII: text from a request (a name, a location) can never fail to
    encode, whatever Unicode it holds."""

    media_type = "application/json; charset=utf-8"  # ARM's content type [R]

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


async def arm_error_response(request: Request, error: Exception) -> Response:
    """The Starlette exception handler for :class:`ArmError`."""
    assert isinstance(error, ArmError)
    body = {"error": {"code": error.code, "message": error.message}}
    return ArmJSONResponse(body, status_code=error.status, headers=error.headers)


async def route_not_found(request: Request, error: Exception) -> Response:
    """Starlette's 404 (no route matched) and 405 (route matched, method did not), in ARM's words."""
    assert isinstance(error, HTTPException)
    path = request.url.path.rstrip("/")
    if error.status_code == 405:
        allowed = {name.lower(): value for name, value in (error.headers or {}).items()}.get("allow", "")
        # Authored to ARM's documented error format.
        failure = ArmError(
            405,
            "MethodNotAllowed",
            f"The HTTP method '{request.method}' is not supported for '{path}'. Supported: {allowed}.",
            {"Allow": allowed} if allowed else None,
        )
    else:
        failure = ArmError(
            404,
            "NotFound",
            f"The recorded endpoint has no management route for '{path}'. It serves resource groups, "
            "Microsoft.CognitiveServices accounts, deployments and models, and Microsoft.Authorization role "
            "assignments.",
        )
    return await arm_error_response(request, failure)


EXCEPTION_HANDLERS = {ArmError: arm_error_response, 404: route_not_found, 405: route_not_found}


def challenge(description: str) -> dict[str, str]:
    """ARM's 401 answers carry a ``WWW-Authenticate`` challenge (without claims, so no CAE retry)."""
    return {
        "WWW-Authenticate": f'Bearer authorization_uri="https://login.microsoftonline.com/common", '
        f'error="invalid_token", error_description="{description}"'
    }


def missing_property(name: str) -> ArmError:
    """A required property absent or of the wrong type."""
    if name == "location":
        return ArmError(400, "LocationRequired", "The location property is required for this definition.")
    # Authored after the deserializer messages ARM returns for malformed bodies.
    return ArmError(
        400,
        "InvalidRequestContent",
        "The request content was invalid and could not be "
        f"deserialized: 'Required property '{name}' is missing or is not of the expected type.'.",
    )


def invalid_content(reason: str) -> ArmError:
    """A body that is not a JSON object within the endpoint's limits."""
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{reason}'.",
    )


def group_not_found(rg: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def group_being_deleted(rg: str) -> ArmError:
    return ArmError(
        409,
        "ResourceGroupBeingDeleted",
        f"The resource group '{rg}' is in deprovisioning state and cannot perform this operation.",
    )


def quota_of_resources(kind: str, limit: int) -> ArmError:
    # Authored to ARM's documented error format: the recorded endpoint keeps a bounded number per learner.
    return ArmError(
        409,
        "ResourceCountExceedsLimit",
        f"The recorded endpoint keeps at most {limit} {kind} per learner. Delete some (lesson 11 shows how), "
        "then retry.",
    )
