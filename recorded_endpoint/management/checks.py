"""What every ARM request must carry before it reaches a route: a recorded Entra ID token for Resource Manager
signed with the server's key, a subscription id that is a GUID, and an ``api-version``. Each missing piece is
the 400 or 401 ARM answers."""

from __future__ import annotations

import re

from starlette.requests import Request

from helpers.settings import GUID

from ..identity import verify_token
from .errors import ArmError, challenge

MANAGEMENT_AUDIENCE = "management.azure.com"
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


def authenticate(request: Request, api_key: str) -> None:
    """Require a recorded Entra token for ARM signed with the server's key, answering 401 as ARM does."""
    header = request.headers.get("authorization")
    if header is None:
        raise ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            challenge("The authentication failed because of missing 'Authorization' header."),
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            challenge("The authentication failed because of invalid 'Authorization' header format."),
        )
    claims = verify_token(token.strip(), api_key)
    if claims is None:
        raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                       challenge("The access token is invalid."))  # fmt: skip
    if claims.audience != MANAGEMENT_AUDIENCE:
        raise ArmError(
            401,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource 'https://{claims.audience}'. "
            "It should exactly match with one of the allowed audiences 'https://management.core.windows.net/',"
            "'https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
            challenge("The access token has an invalid audience."),
        )


def check_subscription(path: str) -> None:
    subscription = path.split("/")[2] if path.count("/") >= 2 else ""
    if not GUID.fullmatch(subscription):
        raise ArmError(
            400,
            "InvalidSubscriptionId",
            f"The provided subscription identifier '{subscription[:100]}' is malformed or invalid.",
        )


def check_api_version(request: Request) -> None:
    version = request.query_params.get("api-version")
    if version is None:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not API_VERSION.match(version):
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version[:100]}' is invalid. The supported versions look like '2025-09-01' or "
            "'2025-04-01-preview'.",
        )
