"""Stand-in Microsoft Entra ID for recorded mode.

In live mode the course uses ``DefaultAzureCredential``. Offline there is no Entra ID to ask, so
:class:`RecordedCredential` hands out tokens the recorded endpoint understands. A token names the audience it
was asked for (so the endpoint can refuse a token for the wrong audience with Azure's 401), whether its holder
has the *Cognitive Services User* role (403 without it), and when it expires. It is signed with HMAC-SHA256
under the server's key, so only someone who knows the room key can make one: in recorded mode that key is
``AZURE_OPENAI_API_KEY``, which the learner's environment holds anyway.

    credential = RecordedCredential(key="room-key")          # or no key: AZURE_OPENAI_API_KEY / the default
    token = credential.get_token("https://ai.azure.com/.default").token
    verify_token(token, "room-key")  # TokenClaims(audience='ai.azure.com', has_role=True, ...) or None
"""

from __future__ import annotations

import hmac
import os
import time
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

from .cli_standin import TOKEN_PREFIX, sign_token
from .cli_standin import signature as _signature
from .constants import DEFAULT_API_KEY

__all__ = ["AsyncRecordedCredential", "RecordedCredential", "TokenClaims", "sign_token", "verify_token"]
AI_SCOPE = "https://ai.azure.com/.default"  # Microsoft's current scope for the v1 and Responses APIs
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"  # the older scope, still in the SDK samples
ML_SCOPE = "https://ml.azure.com/.default"  # azure-ai-inference's default scope (serverless endpoints)
MANAGEMENT_SCOPE = "https://management.azure.com/.default"
MAX_TOKEN_CHARS = 512  # a recorded token is about 110 characters; anything far longer is not one


@dataclass(frozen=True)
class TokenClaims:
    """What a verified recorded token says about its holder."""

    audience: str  # e.g. "ai.azure.com"
    has_role: bool  # False plays a user without the Cognitive Services User role
    expires_on: int  # seconds since the epoch


def audience_of(scope: str) -> str:
    """``https://cognitiveservices.azure.com/.default`` -> ``cognitiveservices.azure.com``."""
    return scope.removeprefix("https://").removesuffix("/.default").rstrip("/")


def verify_token(token: str, key: str, now: float | None = None) -> TokenClaims | None:
    """The claims of ``token`` if it is a recorded token signed with ``key`` and not expired, else None."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    payload, _, signature = token.rpartition(":")
    parts = payload.split(":")
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX or parts[2] not in ("role", "no-role") or not parts[3].isdigit():
        return None
    if not hmac.compare_digest(signature, _signature(key, payload)):
        return None
    claims = TokenClaims(audience=parts[1], has_role=parts[2] == "role", expires_on=int(parts[3]))
    return claims if claims.expires_on > (time.time() if now is None else now) else None


def default_key() -> str:
    """The key recorded tokens are signed with when none is given: ``AZURE_OPENAI_API_KEY``, else the default."""
    return os.environ.get("AZURE_OPENAI_API_KEY") or DEFAULT_API_KEY


class RecordedCredential:
    """A ``TokenCredential`` for the recorded endpoint: signed tokens for any scope.

    ``key`` is the server's key; without one, :func:`default_key` is read each time a token is made (so a
    credential built before ``helpers.setup()`` still signs with the key it exported).
    """

    def __init__(self, key: str | None = None, has_role: bool = True, lifetime_s: int = 3600) -> None:
        self.key = key
        self.has_role = has_role
        self.lifetime_s = lifetime_s

    def _token_for(self, scopes: tuple[str, ...]) -> tuple[str, int]:
        expires_on = int(time.time()) + self.lifetime_s
        audience = audience_of(scopes[0]) if scopes else "none"
        return sign_token(self.key or default_key(), audience, self.has_role, expires_on), expires_on

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        """A token for the first of ``scopes``, as azure-core asks for one."""
        return AccessToken(*self._token_for(scopes))

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        """The ``SupportsTokenInfo`` form of :meth:`get_token`."""
        return AccessTokenInfo(*self._token_for(scopes))

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
