"""Course settings: which endpoint to talk to, with which deployment and which credentials.

Everything comes from environment variables, optionally loaded from a ``.env`` file at the repository root
(see ``.env.sample`` for every variable, each explained). Nothing configured means **recorded mode**: the
course starts its recorded endpoint and points these same variables at it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlsplit

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = REPO_ROOT / ".env"  # read when no other file is named (the tests point it at an empty one)
DEFAULT_DEPLOYMENT = "DeepSeek-R1"
# A subscription, tenant or object id: GUID.fullmatch(text) checks one, GUID.findall(text) finds them in a text.
GUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")

# The model a deployment runs. Live, the default is DeepSeek-R1's successor: Microsoft retired DeepSeek-R1 on
# Foundry on 2026-08-13 and names DeepSeek-V4-Pro as its replacement ("Model retirement schedule", Microsoft
# Learn, updated 2026-09-02; see helpers/data/lifecycle.csv). Recorded mode replays DeepSeek-R1 version 1.
LIVE_MODEL, LIVE_MODEL_VERSION = "DeepSeek-V4-Pro", "2026-04-23"
RECORDED_MODEL, RECORDED_MODEL_VERSION = "DeepSeek-R1", "1"
DEFAULT_SKU = "GlobalStandard"

# Azure public cloud. Sovereign clouds have their own, e.g. Azure Government https://management.usgovcloudapi.net
# with https://login.microsoftonline.us, Azure China https://management.chinacloudapi.cn with
# https://login.chinacloudapi.cn.
PUBLIC_RESOURCE_MANAGER = "https://management.azure.com"
CLASSIC_API_VERSION = "2024-10-21"
INFERENCE_API_VERSION = "2024-05-01-preview"

Mode = Literal["recorded", "live"]
Auth = Literal["key", "entra"]
MODES: tuple[Mode, ...] = ("recorded", "live")
AUTH_METHODS: tuple[Auth, ...] = ("key", "entra")

ENDPOINT_FORMS = (
    "https://<resource>.openai.azure.com",
    "https://<resource>.services.ai.azure.com",
)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """What the notebooks need to reach a DeepSeek deployment. Secrets are kept out of ``repr``."""

    mode: Mode
    endpoint: str
    deployment: str = DEFAULT_DEPLOYMENT
    model: str = LIVE_MODEL
    model_version: str = LIVE_MODEL_VERSION
    sku: str = DEFAULT_SKU
    auth: Auth = "key"
    api_key: str | None = field(default=None, repr=False)
    inference_endpoint: str | None = None
    inference_key: str | None = field(default=None, repr=False)
    api_version: str = CLASSIC_API_VERSION
    tenant_id: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    location: str | None = None
    account_name: str | None = None
    resource_manager_endpoint: str = PUBLIC_RESOURCE_MANAGER
    authority_host: str | None = None
    token_credentials: str | None = None

    @property
    def resource_manager_scope(self) -> str:
        """The Entra ID scope of Resource Manager: ``https://management.<cloud>/.default``.

        Each cloud's Resource Manager accepts tokens for its own address. Any other address (a proxy, or the
        recorded endpoint posing as Azure) is taken to speak for the public cloud.
        """
        host = urlsplit(self.resource_manager_endpoint).hostname or ""
        audience = self.resource_manager_endpoint if host.startswith("management.") else PUBLIC_RESOURCE_MANAGER
        return f"{audience}/.default"

    @property
    def v1_base_url(self) -> str:
        """Base URL of the v1 API, as the OpenAI client wants it."""
        return f"{self.endpoint}/openai/v1/"

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.repr:
                value = "<set>" if value else None
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    def summary(self) -> str:
        """One line for a notebook: mode, host, deployment and auth; never a secret."""
        host = urlsplit(self.endpoint).netloc if self.mode == "live" else "the recorded endpoint"
        return (
            f"{self.mode} mode · {host} · deployment {self.deployment!r} "
            f"({self.model} {self.model_version}) · auth {self.auth}"
        )


def _env(source: dict[str, str | None], name: str) -> str | None:
    value = source.get(name)
    return value.strip() if value and value.strip() else None


def read_environment(env_file: str | Path | None = None) -> dict[str, str | None]:
    """The process environment over the values of ``.env`` (the process wins, as python-dotenv does)."""
    path = Path(env_file) if env_file is not None else ENV_FILE
    values: dict[str, str | None] = dict(dotenv_values(path)) if path.is_file() else {}
    values.update(os.environ)
    return values


def normalize_endpoint(raw: str, variable: str = "AZURE_OPENAI_ENDPOINT") -> str:
    """Reduce a resource endpoint to ``scheme://host[:port]``, or explain what a good one looks like.

    Learners paste many shapes (with ``/openai/v1/``, with ``/models``, with a trailing slash); all of them
    name the same resource, so the path is dropped. Anything that is not an http(s) URL with a host is
    refused with the expected forms.
    """
    text = raw.strip().strip('"').strip("'")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{variable}={text!r} is not an endpoint URL. Expected one of: {', '.join(ENDPOINT_FORMS)} "
            "(copy it from the Foundry portal: your deployment > Details > Endpoint)."
        )
    if parts.hostname.startswith(("your-resource-name.", "<resource>.")) or "<" in text:
        raise SettingsError(f"{variable} still holds the placeholder from .env.sample: put your resource name in it.")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SettingsError(f"{variable}={text!r} uses http://. Azure endpoints are https://.")
    return f"{parts.scheme}://{parts.netloc}"


def _inference_endpoint(source: dict[str, str | None], endpoint: str) -> str:
    explicit = _env(source, "AZURE_INFERENCE_ENDPOINT")
    if explicit:
        parts = urlsplit(explicit)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"AZURE_INFERENCE_ENDPOINT={explicit!r} is not a URL. Expected "
                "https://<resource>.services.ai.azure.com/models (Foundry) or "
                "https://<host>.<region>.models.ai.azure.com (serverless)."
            )
        return explicit.rstrip("/")
    host = urlsplit(endpoint).netloc.replace(".openai.azure.com", ".services.ai.azure.com")
    return f"{urlsplit(endpoint).scheme}://{host}/models"


def _endpoint_of_account(source: dict[str, str | None]) -> str | None:
    # Before lesson 01 creates the resource there is no endpoint to copy, but its name is known: it is the
    # custom subdomain. So a subscription and an account name are enough to work live.
    account, subscription = _env(source, "AZURE_AI_ACCOUNT"), _env(source, "AZURE_SUBSCRIPTION_ID")
    return f"https://{account}.services.ai.azure.com" if account and subscription else None


def _https_url(source: dict[str, str | None], name: str, default: str | None, example: str) -> str | None:
    raw = _env(source, name)
    if raw is None:
        return default
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError(f"{name}={raw!r} is not an https:// URL. Expected e.g. {example}, or leave it empty.")
    return f"https://{parts.netloc}"


def load_settings(env_file: str | Path | None = None) -> Settings:
    """Read the course settings from the environment and ``.env``.

    Recorded mode is chosen when ``COURSE_MODE=recorded`` or when no endpoint is configured: neither
    ``AZURE_OPENAI_ENDPOINT`` nor the pair ``AZURE_SUBSCRIPTION_ID`` + ``AZURE_AI_ACCOUNT`` (which names it).
    In live mode the endpoint is validated and a missing credential is reported with the fix.
    """
    source = read_environment(env_file)
    mode = (_env(source, "COURSE_MODE") or "").lower()
    if mode and mode not in MODES:
        raise SettingsError(f"COURSE_MODE={mode!r}: use one of {MODES} or leave it empty for automatic.")
    endpoint_raw = _env(source, "AZURE_OPENAI_ENDPOINT") or _endpoint_of_account(source)
    if not mode:
        mode = "live" if endpoint_raw else "recorded"
    if mode == "live" and not endpoint_raw:
        raise SettingsError("COURSE_MODE=live needs AZURE_OPENAI_ENDPOINT: copy .env.sample to .env and fill it in.")
    if mode == "recorded" and not endpoint_raw:
        endpoint_raw = "http://127.0.0.1"  # replaced by the recorded endpoint's address when it starts
    endpoint = normalize_endpoint(endpoint_raw or "")
    auth = (_env(source, "COURSE_AUTH") or ("key" if _env(source, "AZURE_OPENAI_API_KEY") else "entra")).lower()
    if auth not in AUTH_METHODS:
        raise SettingsError(f"COURSE_AUTH={auth!r}: use 'key' (AZURE_OPENAI_API_KEY) or 'entra' (Microsoft Entra ID).")
    api_key = _env(source, "AZURE_OPENAI_API_KEY")
    if mode == "live" and auth == "key" and not api_key:
        raise SettingsError(
            "COURSE_AUTH=key but AZURE_OPENAI_API_KEY is empty: paste a key from the portal "
            "(deployment > Details > Key) into .env, or set COURSE_AUTH=entra and run `az login`."
        )
    default_model = (LIVE_MODEL, LIVE_MODEL_VERSION) if mode == "live" else (RECORDED_MODEL, RECORDED_MODEL_VERSION)
    # Recorded mode's Resource Manager is the recorded endpoint itself, whatever .env says.
    resource_manager = (
        _https_url(source, "AZURE_RESOURCE_MANAGER_ENDPOINT", PUBLIC_RESOURCE_MANAGER, PUBLIC_RESOURCE_MANAGER)
        if mode == "live"
        else endpoint
    )
    return Settings(
        mode=cast(Mode, mode),  # checked against MODES above
        endpoint=endpoint,
        deployment=_env(source, "AZURE_DEEPSEEK_DEPLOYMENT") or DEFAULT_DEPLOYMENT,
        model=(_env(source, "AZURE_DEEPSEEK_MODEL") if mode == "live" else None) or default_model[0],
        model_version=(_env(source, "AZURE_DEEPSEEK_MODEL_VERSION") if mode == "live" else None) or default_model[1],
        sku=_env(source, "AZURE_DEEPSEEK_SKU") or DEFAULT_SKU,
        auth=cast(Auth, auth),  # checked against AUTH_METHODS above
        api_key=api_key,
        inference_endpoint=_inference_endpoint(source, endpoint),
        inference_key=_env(source, "AZURE_INFERENCE_CREDENTIAL") or api_key,
        api_version=_env(source, "OPENAI_API_VERSION") or CLASSIC_API_VERSION,
        tenant_id=_env(source, "AZURE_TENANT_ID"),
        subscription_id=_env(source, "AZURE_SUBSCRIPTION_ID"),
        resource_group=_env(source, "AZURE_RESOURCE_GROUP"),
        location=_env(source, "AZURE_LOCATION"),
        account_name=_env(source, "AZURE_AI_ACCOUNT"),
        resource_manager_endpoint=resource_manager or PUBLIC_RESOURCE_MANAGER,
        authority_host=_https_url(source, "AZURE_AUTHORITY_HOST", None, "https://login.microsoftonline.us"),
        token_credentials=_env(source, "AZURE_TOKEN_CREDENTIALS"),
    )
