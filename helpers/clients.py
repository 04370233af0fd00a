"""One place that builds every client the course uses, with a key or with Microsoft Entra ID.

Each function reads :func:`helpers.settings.load_settings` unless you pass settings, so a notebook cell is
one line: ``client = openai_client()``. In recorded mode the same functions point at the recorded
endpoint and use a stand-in Entra ID credential; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AzureKeyCredential, TokenCredential
from openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI

from .settings import Settings, SettingsError, load_settings

# Microsoft's current Entra ID scope for the v1 and Responses APIs: the OpenAI-v1 migration guide's checklist says
# "Change the credential scope from https://cognitiveservices.azure.com/.default to https://ai.azure.com/.default"
# (Microsoft Learn, model-inference-to-openai-migration, 2026-03-19).
AI_SCOPE = "https://ai.azure.com/.default"
# The older scope: still what the classic AzureOpenAI route and azure-ai-inference samples use, and what much
# existing code carries. Whether the v1 API still accepts it is unconfirmed (no source either way, 2026-12).
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


def credential(settings: Settings | None = None, has_role: bool = True) -> TokenCredential:
    """Microsoft Entra ID credential: ``DefaultAzureCredential`` live, a stand-in in recorded mode.

    ``has_role=False`` (recorded mode only) plays a user without the Cognitive Services User role.
    """
    settings = settings or load_settings()
    if settings.mode == "recorded":
        from recorded_endpoint.identity import RecordedCredential

        return RecordedCredential(has_role=has_role)
    from azure.identity import DefaultAzureCredential

    # Signed in to several directories? `az login --tenant <AZURE_TENANT_ID>` picks the right one.
    # AZURE_AUTHORITY_HOST (sovereign clouds) and AZURE_TOKEN_CREDENTIALS are read by azure-identity itself.
    return DefaultAzureCredential(**_authority(settings))


def async_credential(settings: Settings | None = None) -> Any:
    """The async flavour of :func:`credential`, for async clients of azure-core based SDKs."""
    settings = settings or load_settings()
    if settings.mode == "recorded":
        from recorded_endpoint.identity import AsyncRecordedCredential

        return AsyncRecordedCredential()
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential(**_authority(settings))


def _authority(settings: Settings) -> dict[str, str]:
    return {"authority": settings.authority_host} if settings.authority_host else {}


def token_provider(settings: Settings | None = None, has_role: bool = True, scope: str = AI_SCOPE):
    """A callable returning fresh bearer tokens for `scope` (what the openai SDK takes as ``api_key``).

    The default is ``https://ai.azure.com/.default``, the v1 and Responses APIs' scope; the classic route
    passes ``COGNITIVE_SCOPE``. Pass the callable, not one token: the SDK calls it again when a token expires.
    """
    from azure.identity import get_bearer_token_provider

    return get_bearer_token_provider(credential(settings, has_role=has_role), scope)


def async_token_provider(settings: Settings | None = None, scope: str = AI_SCOPE):
    """The async flavour of :func:`token_provider`: ``AsyncOpenAI`` awaits what its ``api_key`` callable returns."""
    from azure.identity.aio import get_bearer_token_provider

    return get_bearer_token_provider(async_credential(settings), scope)


def _api_key_or_token(settings: Settings) -> Any:
    return settings.api_key if settings.auth == "key" else token_provider(settings, scope=AI_SCOPE)


def openai_client(settings: Settings | None = None, **options: Any) -> OpenAI:
    """``OpenAI`` on the v1 API (``…/openai/v1/``): the primary path of this course."""
    settings = settings or load_settings()
    return OpenAI(base_url=settings.v1_base_url, api_key=_api_key_or_token(settings), **options)


def async_openai_client(settings: Settings | None = None, **options: Any) -> AsyncOpenAI:
    """``AsyncOpenAI`` on the v1 API."""
    settings = settings or load_settings()
    api_key = settings.api_key if settings.auth == "key" else async_token_provider(settings, scope=AI_SCOPE)
    return AsyncOpenAI(base_url=settings.v1_base_url, api_key=api_key, **options)


def azure_openai_client(settings: Settings | None = None, **options: Any) -> AzureOpenAI:
    """``AzureOpenAI`` on the classic ``/openai/deployments/{deployment}`` route with an ``api-version``."""
    settings = settings or load_settings()
    auth = (
        {"api_key": settings.api_key}
        if settings.auth == "key"
        else {"azure_ad_token_provider": token_provider(settings, scope=COGNITIVE_SCOPE)}
    )
    return AzureOpenAI(azure_endpoint=settings.endpoint, api_version=settings.api_version, **auth, **options)


def async_azure_openai_client(settings: Settings | None = None, **options: Any) -> AsyncAzureOpenAI:
    """``AsyncAzureOpenAI``, as the chat app of seed 003 uses it."""
    settings = settings or load_settings()
    auth = (
        {"api_key": settings.api_key}
        if settings.auth == "key"
        else {"azure_ad_token_provider": token_provider(settings, scope=COGNITIVE_SCOPE)}
    )
    return AsyncAzureOpenAI(azure_endpoint=settings.endpoint, api_version=settings.api_version, **auth, **options)


def inference_client(settings: Settings | None = None, **options: Any):
    """Legacy ``azure.ai.inference.ChatCompletionsClient`` on the model inference API (retired 2026-08-26)."""
    from azure.ai.inference import ChatCompletionsClient

    settings = settings or load_settings()
    endpoint = settings.inference_endpoint
    if not endpoint:  # load_settings derives one; a Settings built by hand may lack it
        raise SettingsError("No model inference endpoint: set AZURE_INFERENCE_ENDPOINT (see .env.sample).")
    if endpoint.rstrip("/").endswith("/models"):
        # A Foundry resource's /models endpoint serves many deployments, so every request must name one
        # (a serverless endpoint serves one model and needs no name).
        options.setdefault("model", settings.deployment)
    if settings.auth == "key":
        return ChatCompletionsClient(
            endpoint=endpoint, credential=AzureKeyCredential(settings.inference_key or ""), **options
        )
    # The SDK's default scope is Azure ML's; Foundry endpoints need the Cognitive Services one.
    return ChatCompletionsClient(
        endpoint=endpoint,
        credential=credential(settings),
        credential_scopes=[COGNITIVE_SCOPE],
        **options,
    )


LIVE_POLLING_INTERVAL_S = 5


class ManagementClients:
    """The three Resource Manager clients lessons 01, 02 and 11 use, sharing one credential."""

    def __init__(self, resources: Any, cognitive: Any, authorization: Any, subscription_id: str) -> None:
        self.resources = resources
        self.cognitive = cognitive
        self.authorization = authorization
        self.subscription_id = subscription_id


def management_clients(settings: Settings | None = None) -> ManagementClients:
    """Resource groups, Cognitive Services and role-assignment clients for ``AZURE_SUBSCRIPTION_ID``.

    Live they talk to ``AZURE_RESOURCE_MANAGER_ENDPOINT`` (Azure Resource Manager of the public cloud unless
    you name a sovereign cloud's) with tokens for that cloud's scope; in recorded mode to the recorded
    endpoint's copy of it, which answers long-running operations at once (``polling_interval=0``).
    """
    from . import provisioning

    settings = settings or load_settings()
    if not settings.subscription_id:
        raise SettingsError(
            "AZURE_SUBSCRIPTION_ID is empty: run `az account show --query id -o tsv` and put the result in .env."
        )
    options: dict[str, Any] = {
        "base_url": settings.resource_manager_endpoint,
        "credential_scopes": [settings.resource_manager_scope],
        # Resource Manager says how long to wait (Retry-After); this is only the wait when it does not.
        "polling_interval": 0 if settings.mode == "recorded" else LIVE_POLLING_INTERVAL_S,
    }
    cred = credential(settings)
    return ManagementClients(
        resources=provisioning.resource_client(settings.subscription_id, cred, **options),
        cognitive=provisioning.cognitive_client(settings.subscription_id, cred, **options),
        authorization=provisioning.authorization_client(settings.subscription_id, cred, **options),
        subscription_id=settings.subscription_id,
    )
