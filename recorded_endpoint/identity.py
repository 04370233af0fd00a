"""Stand-in Microsoft Entra ID for recorded mode.

In live mode the course uses ``DefaultAzureCredential``. Offline there is no Entra ID to ask, so
:class:`RecordedCredential` hands out tokens the recorded endpoint understands. A token names the scope it
was asked for, so the endpoint can answer a token for the wrong audience the way Azure does (401), and a
credential made with ``has_role=False`` plays a user without the *Cognitive Services User* role (403).
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

TOKEN_PREFIX = "recorded-entra"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
MANAGEMENT_SCOPE = "https://management.azure.com/.default"


def audience_of(scope: str) -> str:
    """``https://cognitiveservices.azure.com/.default`` -> ``cognitiveservices.azure.com``."""
    return scope.removeprefix("https://").removesuffix("/.default").rstrip("/")


class RecordedCredential:
    """A ``TokenCredential`` (sync, and async through ``get_token`` awaitables) for the recorded endpoint."""

    def __init__(self, has_role: bool = True, lifetime_s: int = 3600) -> None:
        self.has_role = has_role
        self.lifetime_s = lifetime_s

    def _token_for(self, scopes: tuple[str, ...]) -> str:
        role = "" if self.has_role else ":no-role"
        return f"{TOKEN_PREFIX}:{audience_of(scopes[0]) if scopes else 'none'}{role}"

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken(self._token_for(scopes), int(time.time()) + self.lifetime_s)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token_for(scopes), int(time.time()) + self.lifetime_s)

    def close(self) -> None:
        """Nothing to release; present so the credential can be used like azure-identity's."""

    def __enter__(self) -> RecordedCredential:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncRecordedCredential(RecordedCredential):
    """The async flavour, for ``azure.identity.aio`` style code paths."""

    async def get_token(self, *scopes: str, **_: Any) -> AccessToken:  # type: ignore[override]
        return RecordedCredential.get_token(self, *scopes)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:  # type: ignore[override]
        return RecordedCredential.get_token_info(self, *scopes)

    async def close(self) -> None:  # type: ignore[override]
        """Nothing to release."""

    async def __aenter__(self) -> AsyncRecordedCredential:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


def parse_token(token: str) -> tuple[str, bool] | None:
    """Return ``(audience, has_role)`` for a recorded token, or None if it is not one."""
    parts = token.split(":")
    if len(parts) < 2 or parts[0] != TOKEN_PREFIX:
        return None
    return parts[1], not (len(parts) > 2 and parts[2] == "no-role")
