"""Offline stand-ins for the Azure CLI (``az``) and the Azure Developer CLI (``azd``), for recorded mode.

azure-identity's ``AzureCliCredential`` runs ``az account get-access-token --output json --resource R`` and
``AzureDeveloperCliCredential`` runs ``azd auth token --output json --no-prompt --scope S``; both are tried by
``DefaultAzureCredential``. :func:`write_tools` writes two small executables named ``az`` and ``azd`` that answer
exactly those commands with a recorded token the recorded endpoint accepts, so code written for a real sign-in
runs unchanged offline once their folder is first on ``PATH``.

The tokens are signed with ``AZURE_OPENAI_API_KEY`` (the recorded endpoint's key, which ``serve`` prints), or
the endpoint's public default key. This module uses the standard library only: the tools are copies of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import sys
import time
from datetime import datetime
from pathlib import Path

TOKEN_PREFIX = "recorded-entra"
DEFAULT_KEY = "recorded-endpoint-key"  # recorded_endpoint.constants.DEFAULT_API_KEY (a test keeps them equal)
TENANT_ID = "00000000-0000-0000-0000-000000000001"  # recorded_endpoint.constants.RECORDED_TENANT_ID
SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
PRINCIPAL_ID = "00000000-0000-0000-0000-0000000000aa"  # the signed-in learner's object id, for role assignments
LIFETIME_S = 12 * 3600  # long enough that azure-identity's local-time reading of expiresOn never sees it expired
USAGE = (
    "This is the recorded endpoint's offline stand-in: it answers only "
    "'az account get-access-token --output json --resource R' (or --scope S), 'az account show', "
    "'az ad signed-in-user show' (each with --query NAME and -o json|tsv) and 'azd auth token --output json --scope S'."
)


def signature(key: str, payload: str) -> str:
    """HMAC-SHA256 of ``payload`` under ``key``, base64url without padding."""
    digest = hmac.new(key.encode("utf-8", "surrogatepass"), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_token(key: str, audience: str, has_role: bool = True, expires_on: int | None = None) -> str:
    """A recorded token for ``audience``, signed with ``key``: ``recorded-entra:<aud>:<role>:<exp>:<sig>``."""
    expires_on = expires_on if expires_on is not None else int(time.time()) + 3600
    payload = f"{TOKEN_PREFIX}:{audience}:{'role' if has_role else 'no-role'}:{expires_on}"
    return f"{payload}:{signature(key, payload)}"


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def _audience(resource_or_scope: str) -> str:
    return resource_or_scope.removeprefix("https://").removesuffix("/.default").rstrip("/")


def answer(program: str, args: list[str], key: str) -> dict[str, object] | None:
    """The JSON ``program`` (``az`` or ``azd``) prints for ``args``, or None for a command it does not know."""
    expires_on = int(time.time()) + LIFETIME_S
    if program.startswith("azd") and args[:2] == ["auth", "token"]:
        scope = _option(args, "--scope")
        if not scope:
            return None
        # azure-identity parses expiresOn as a naive local time (azd_cli.parse_token), so it is written that way.
        local = datetime.fromtimestamp(expires_on).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"token": sign_token(key, _audience(scope), True, expires_on), "expiresOn": local}
    if program.startswith("az") and args[:2] == ["account", "get-access-token"]:
        resource = _option(args, "--resource") or _option(args, "--scope")
        if not resource:
            return None
        return {
            "accessToken": sign_token(key, _audience(resource), True, expires_on),
            "expiresOn": datetime.fromtimestamp(expires_on).strftime("%Y-%m-%d %H:%M:%S.%f"),
            "expires_on": expires_on,
            "subscription": SUBSCRIPTION_ID,
            "tenant": TENANT_ID,
            "tokenType": "Bearer",
        }
    if program.startswith("az") and args[:2] == ["account", "show"]:
        return {"id": SUBSCRIPTION_ID, "tenantId": TENANT_ID, "name": "Recorded subscription", "state": "Enabled"}
    if program.startswith("az") and args[:3] == ["ad", "signed-in-user", "show"]:
        return {"id": PRINCIPAL_ID, "displayName": "Recorded learner", "userPrincipalName": "learner@example.com"}
    return None


def render(result: dict[str, object], args: list[str]) -> str:
    """``result`` as ``--query NAME`` and ``--output json|tsv`` (``-o``) ask, as the Azure CLI prints it."""
    query = _option(args, "--query")
    value: object = result.get(query) if query else result
    output = _option(args, "--output") or _option(args, "-o") or "json"
    if output == "tsv":
        return "\t".join(str(v) for v in value.values()) if isinstance(value, dict) else str(value)
    return json.dumps(value, indent=2)


def main(argv: list[str] | None = None, program: str | None = None) -> int:
    """Run as ``az`` or ``azd`` (the name the tool was started under)."""
    args = sys.argv[1:] if argv is None else argv
    program = program or Path(sys.argv[0]).name
    result = answer(program, args, os.environ.get("AZURE_OPENAI_API_KEY") or DEFAULT_KEY)
    if result is None:
        print(USAGE, file=sys.stderr)
        return 2
    print(render(result, args))
    return 0


def write_tools(directory: Path) -> Path:
    """Write executable ``az`` and ``azd`` stand-ins into ``directory``; put it first on ``PATH`` to use them."""
    directory.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).read_text(encoding="utf-8")
    for name in ("az", "azd"):
        tool = directory / name
        tool.write_text(f"#!{sys.executable}\n{source}\n\nif __name__ == '__main__':\n    sys.exit(main())\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory
