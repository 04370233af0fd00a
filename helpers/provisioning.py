"""Create, inspect and delete the course's Azure resources with the management SDKs (lessons 01, 02 and 11).

The same functions run against Azure Resource Manager (live mode) and against the recorded endpoint, which
answers the same ARM routes on ``127.0.0.1`` (recorded mode): only ``base_url`` differs.

What gets created, in order:

1. a resource group;
2. a Foundry resource: a ``Microsoft.CognitiveServices`` account of kind ``AIServices``, SKU ``S0``, whose
   name is also its custom subdomain (needed for Microsoft Entra ID sign-in);
3. a deployment of the model the settings name (``AZURE_DEEPSEEK_MODEL``, ``_MODEL_VERSION``, ``_SKU``): live by
   default ``DeepSeek-V4-Pro`` version ``2026-04-23`` on ``GlobalStandard``, format ``DeepSeek``. DeepSeek-R1
   (version ``1``), the model the recordings replay, was retired on Azure on 2026-08-13 and cannot be deployed;
4. the *Cognitive Services User* role for you on the account, so Entra ID tokens may call the model. (Microsoft's
   pages disagree on the role: the DeepSeek tutorial names *Cognitive Services User*, the v1 API page
   *Cognitive Services OpenAI User*, project pages *Azure AI User*.)

Every function checks its inputs before sending anything, and keys are only ever shown masked.
"""

from __future__ import annotations

import difflib
import shlex
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.core.polling import LROPoller
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleAssignmentCreateParameters
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    Identity,
    Sku,
)
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import ResourceGroup

from .settings import DEFAULT_DEPLOYMENT, DEFAULT_SKU, GUID, LIVE_MODEL, LIVE_MODEL_VERSION, PUBLIC_RESOURCE_MANAGER

ARM_ENDPOINT = PUBLIC_RESOURCE_MANAGER

# Built-in role "Cognitive Services User": lets a signed-in identity call the models of an account.
COGNITIVE_SERVICES_USER_ROLE_ID = "a97b65f3-24c7-4388-baec-2e87135dc908"

# The model this course deploys live by default: DeepSeek-R1's named successor. Every DeepSeek model on Foundry
# has format "DeepSeek" (Azure-Samples/deepseek-python infra/main.bicep deployed DeepSeek-R1 version 1 so).
MODEL_FORMAT, MODEL_NAME, MODEL_VERSION, MODEL_SKU = "DeepSeek", LIVE_MODEL, LIVE_MODEL_VERSION, DEFAULT_SKU

# One capacity unit is 1,000 tokens per minute. A DeepSeek reasoning answer with its thinking often takes one to
# three thousand tokens, so capacity 1 (the sample templates' value) is throttled (HTTP 429) after an answer
# or two each minute. 50 units serve a small workshop; raise it for a room, within your quota.
WORKSHOP_CAPACITY = 50

# Regions where DeepSeek-R1 was offered as a Global Standard deployment (until its retirement on 2026-08-13).
# Source: MicrosoftDocs/azure-ai-docs, articles/ai-foundry/foundry-models/includes/model-matrix/
# global-standard.md (ms.date 2025-09-15). Offers change: verify with
#   az cognitiveservices model list --location <region>            (before you have an account), or
#   az cognitiveservices account list-models -n <account> -g <resource-group>
DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS = frozenset({
    "australiaeast", "brazilsouth", "canadacentral", "canadaeast", "eastus", "eastus2", "francecentral",
    "germanywestcentral", "italynorth", "japaneast", "koreacentral", "northcentralus", "norwayeast",
    "polandcentral", "southafricanorth", "southcentralus", "southindia", "spaincentral", "swedencentral",
    "switzerlandnorth", "switzerlandwest", "uaenorth", "uksouth", "westeurope", "westus", "westus3",
})  # fmt: skip

# Regions that offered DeepSeek-V4-Pro (and every other DeepSeek model) as Global Standard on 2026-08-05: the
# output of `az cognitiveservices model list` in all public regions on that day, published by
# Hybrid-Solutions-Cloud/homestead-foundry (docs/public/data/model-matrix.json). Verify with the commands above.
DEEPSEEK_V4_PRO_GLOBAL_STANDARD_REGIONS = frozenset({
    "australiaeast", "brazilsouth", "canadacentral", "canadaeast", "centralus", "centraluseuap", "eastus",
    "eastus2", "eastus2euap", "francecentral", "germanywestcentral", "italynorth", "japaneast", "japanwest",
    "koreacentral", "northcentralus", "norwayeast", "polandcentral", "southafricanorth", "southcentralus",
    "southindia", "spaincentral", "swedencentral", "switzerlandnorth", "switzerlandwest", "uaenorth", "uksouth",
    "ukwest", "westcentralus", "westeurope", "westus", "westus2", "westus3",
})  # fmt: skip

GLOBAL_STANDARD_REGIONS = {
    "DeepSeek-R1": (DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS, "Microsoft Learn's region matrix of 2025-09-15"),
    "DeepSeek-V4-Pro": (DEEPSEEK_V4_PRO_GLOBAL_STANDARD_REGIONS, "`az cognitiveservices model list` of 2026-08-05"),
}

_TERMINAL = {"succeeded", "failed", "canceled"}

ProgressCallback = Callable[[str, str], None]
"""Called as ``progress(what, status)``, e.g. ``("Foundry account 'myfoundry'", "Creating")``."""


# ------------------------------------------------------------------------- validation


def validate_subscription_id(subscription_id: str) -> str:
    """Return the subscription id if it is a GUID, else raise ``ValueError`` saying where to find it."""
    if not isinstance(subscription_id, str) or not GUID.fullmatch(subscription_id):
        raise ValueError(
            f"subscription_id must be a GUID like 00000000-0000-0000-0000-000000000000; got "
            f"{subscription_id!r}. Find yours with `az account show --query id -o tsv`."
        )
    return subscription_id


def validate_resource_group_name(name: str) -> str:
    """Resource group names: 1-90 letters, digits, ``. _ - ( )``, not ending in a period."""
    if not isinstance(name, str) or not 1 <= len(name) <= 90:
        raise ValueError(f"Resource group name must be 1-90 characters long; got {name!r}.")
    bad = sorted({c for c in name if not (c.isalnum() or c in "._-()")})
    if bad:
        raise ValueError(
            f"Resource group name may contain only letters, digits, '.', '_', '-', '(' and ')'; "
            f"{name!r} contains {''.join(bad)!r}."
        )
    if name.endswith("."):
        raise ValueError(f"Resource group name cannot end with a period: {name!r}.")
    return name


def validate_account_name(name: str) -> str:
    """The account name is also its custom subdomain: 2-64 letters, digits, hyphens; no hyphen at the ends."""
    if not isinstance(name, str) or not 2 <= len(name) <= 64:
        raise ValueError(
            f"Account name must be 2-64 characters long (it becomes the subdomain "
            f"<name>.cognitiveservices.azure.com); got {name!r}."
        )
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "-"))})
    if bad:
        raise ValueError(
            f"Account name may contain only letters, digits and hyphens (it becomes a subdomain); "
            f"{name!r} contains {''.join(bad)!r}."
        )
    if name[0] == "-" or name[-1] == "-":
        raise ValueError(f"Account name must start and end with a letter or digit; got {name!r}.")
    return name


def validate_deployment_name(name: str) -> str:
    """Deployment names: 2-64 letters, digits, ``_ . -``, starting with a letter or digit."""
    if not isinstance(name, str) or not 2 <= len(name) <= 64:
        raise ValueError(f"Deployment name must be 2-64 characters long; got {name!r}.")
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-"))})
    if bad:
        raise ValueError(
            f"Deployment name may contain only letters, digits, '_', '.' and '-'; {name!r} "
            f"contains {''.join(bad)!r}."
        )
    if not name[0].isalnum():
        raise ValueError(f"Deployment name must start with a letter or digit; got {name!r}.")
    return name


def normalize_region(region: str) -> str:
    """``"East US 2"`` -> ``"eastus2"``, the form ARM and the region table use."""
    return "".join(str(region).split()).lower()


def check_region(region: str, model: str = MODEL_NAME) -> str:
    """Return the normalized region if ``model`` (Global Standard) is offered there; else ``ValueError``.

    For a model without a region table here, the region is only normalized: Azure will say.
    """
    normalized = normalize_region(region)
    if model not in GLOBAL_STANDARD_REGIONS:
        return normalized
    regions, source = GLOBAL_STANDARD_REGIONS[model]
    if normalized in regions:
        return normalized
    # Suggest a region only for what looks like a typo (similar spelling, about the same length).
    close = [
        r for r in difflib.get_close_matches(normalized, regions, n=1, cutoff=0.8) if abs(len(r) - len(normalized)) <= 2
    ]
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"{model} (Global Standard) is not offered in region {region!r}.{hint} Pick one of: "
        f"{', '.join(sorted(regions))}. The table comes from {source}; "
        f"verify with `az cognitiveservices model list --location {normalized or '<region>'}`."
    )


def _check_capacity(capacity: int) -> int:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise ValueError(
            f"capacity must be a whole number of at least 1 (units of 1,000 tokens per minute); "
            f"got {capacity!r}."
        )
    return capacity


def _check_principal_id(principal_id: str) -> str:
    if not isinstance(principal_id, str) or not GUID.fullmatch(principal_id):
        raise ValueError(
            f"principal_id must be the object id (a GUID) of the user or app that calls the model; "
            f"got {principal_id!r}. Yours: `az ad signed-in-user show --query id -o tsv`."
        )
    return principal_id


# ------------------------------------------------------------------------- clients


def _client_options(
    base_url: str | None, polling_interval: float | None, extra: dict[str, Any]
) -> dict[str, Any]:
    options = dict(extra, base_url=(base_url or ARM_ENDPOINT).rstrip("/"))
    if polling_interval is not None:
        options["polling_interval"] = polling_interval
    return options


def resource_client(
    subscription_id: str,
    credential: TokenCredential,
    base_url: str | None = None,
    polling_interval: float | None = None,
    **client_kwargs: Any,
) -> ResourceManagementClient:
    """A ``ResourceManagementClient`` (resource groups) for ARM, or for the recorded endpoint at ``base_url``.

    ``client_kwargs`` go to the client as they are, e.g. ``connection_verify="ca.pem"`` to trust the recorded
    endpoint's own certificate authority. Against the recorded endpoint pass ``polling_interval=0``:
    azure-core reads its ``Retry-After: 0`` as "use polling_interval", which is 30 seconds by default.
    """
    options = _client_options(base_url, polling_interval, client_kwargs)
    return ResourceManagementClient(credential, validate_subscription_id(subscription_id), **options)


def cognitive_client(
    subscription_id: str,
    credential: TokenCredential,
    base_url: str | None = None,
    polling_interval: float | None = None,
    **client_kwargs: Any,
) -> CognitiveServicesManagementClient:
    """A ``CognitiveServicesManagementClient`` (accounts, deployments, keys, models); arguments as above."""
    options = _client_options(base_url, polling_interval, client_kwargs)
    return CognitiveServicesManagementClient(credential, validate_subscription_id(subscription_id), **options)


def authorization_client(
    subscription_id: str,
    credential: TokenCredential,
    base_url: str | None = None,
    polling_interval: float | None = None,
    **client_kwargs: Any,
) -> AuthorizationManagementClient:
    """An ``AuthorizationManagementClient`` (role assignments); arguments as above."""
    options = _client_options(base_url, polling_interval, client_kwargs)
    return AuthorizationManagementClient(credential, validate_subscription_id(subscription_id), **options)


# ------------------------------------------------------------------------- waiting


def print_final_status(what: str, status: str) -> None:
    """The default progress report: one line once the operation has finished."""
    print(f"{what}: {status}")


def tqdm_progress() -> ProgressCallback:
    """A live status line with the elapsed time (tqdm), handy for the minutes a live deployment takes."""
    # tqdm's text bar, not tqdm.auto: the notebook widget always draws a bar, an empty box when there is no total.
    from tqdm.std import tqdm

    bars: dict[str, Any] = {}

    def report(what: str, status: str) -> None:
        if what not in bars:
            bars[what] = tqdm(desc=what, bar_format="{desc} [{elapsed}]", file=sys.stdout)
        bars[what].set_description_str(f"{what}: {status}")
        if status.lower() in _TERMINAL:
            bars.pop(what).close()

    return report


def _wait(poller: LROPoller, what: str, progress: ProgressCallback | None) -> Any:
    """Wait for a long-running operation. A ``progress`` callback sees every status change it observes;
    without one, a single line is printed at the end (so stored notebook outputs do not depend on timing)."""
    if progress is None:
        result = poller.result()
        print_final_status(what, poller.status())
        return result
    shown = None
    while True:
        status = poller.status()
        if status != shown:
            progress(what, status)
            shown = status
        if poller.done():
            break
        poller.wait(timeout=1.0)
    result = poller.result()
    if poller.status() != shown:
        progress(what, poller.status())
    return result


# ------------------------------------------------------------------------- create


def create_resource_group(
    resources: ResourceManagementClient, name: str, region: str, tags: dict[str, str] | None = None
) -> ResourceGroup:
    """Create (or update) a resource group in ``region``; returns it."""
    validate_resource_group_name(name)
    group = ResourceGroup(location=normalize_region(region), tags=tags or {})
    return resources.resource_groups.create_or_update(name, group)


def create_foundry_account(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    name: str,
    region: str,
    *,
    model: str = MODEL_NAME,
    disable_local_auth: bool = False,
    wait: bool = True,
    progress: ProgressCallback | None = None,
) -> Account | LROPoller[Account]:
    """Create a Foundry resource: kind ``AIServices``, SKU ``S0``, custom subdomain = ``name``.

    ``disable_local_auth=True`` turns keys off so only Entra ID works (what Microsoft's template does); the
    course keeps keys on because some lessons show key authentication. With ``wait=False`` you get the poller.
    The region is checked against where ``model`` is offered, before anything is sent.
    """
    validate_resource_group_name(resource_group)
    validate_account_name(name)
    account = Account(
        kind="AIServices",
        sku=Sku(name="S0"),
        location=check_region(region, model),
        identity=Identity(type="SystemAssigned"),
        properties=AccountProperties(
            custom_sub_domain_name=name,
            public_network_access="Enabled",
            allow_project_management=True,
            disable_local_auth=disable_local_auth,
        ),
    )
    poller = cognitive.accounts.begin_create(resource_group, name, account)
    return _wait(poller, f"Foundry account '{name}'", progress) if wait else poller


def deploy_model(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    account: str,
    deployment_name: str,
    model: str = MODEL_NAME,
    version: str = MODEL_VERSION,
    sku: str = MODEL_SKU,
    capacity: int = WORKSHOP_CAPACITY,
    *,
    wait: bool = True,
    progress: ProgressCallback | None = None,
) -> Deployment | LROPoller[Deployment]:
    """Deploy ``model`` (format DeepSeek) in ``version`` on ``sku`` under ``deployment_name``.

    The defaults are the live default, DeepSeek-V4-Pro 2026-04-23 on GlobalStandard; lessons pass the
    settings' ``model``, ``model_version`` and ``sku``. Requests name the *deployment*, not the model:
    ``model=deployment_name``. ``capacity`` is in units of 1,000 tokens per minute and counts against your
    subscription's quota in the account's region; too little capacity shows up as HTTP 429 throttling, more
    than your quota as an ``InsufficientQuota`` error here. A retired model is refused by Azure: lesson 02
    shows the answer, and ``helpers.lifecycle`` says what replaces it.
    """
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    validate_deployment_name(deployment_name)
    for what, value in (("model", model), ("model_version", version), ("sku", sku)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"{what} is empty: name what to deploy, e.g. model={MODEL_NAME!r}, version={MODEL_VERSION!r}, "
                f"sku={MODEL_SKU!r} (in .env: AZURE_DEEPSEEK_{what.upper()}); got {value!r}."
            )
    deployment = Deployment(
        sku=Sku(name=sku, capacity=_check_capacity(capacity)),
        properties=DeploymentProperties(
            model=DeploymentModel(format=MODEL_FORMAT, name=model, version=version),
        ),
    )
    poller = cognitive.deployments.begin_create_or_update(
        resource_group, account, deployment_name, deployment
    )
    return _wait(poller, f"Deployment '{deployment_name}'", progress) if wait else poller


def account_scope(subscription_id: str, resource_group: str, account: str) -> str:
    """The ARM id of an account, which is also the scope of a role assignment on it."""
    return (
        f"/subscriptions/{validate_subscription_id(subscription_id)}/resourceGroups/"
        f"{validate_resource_group_name(resource_group)}/providers/Microsoft.CognitiveServices/accounts/"
        f"{validate_account_name(account)}"
    )


def assign_cognitive_services_user(
    authorization: AuthorizationManagementClient,
    subscription_id: str,
    resource_group: str,
    account: str,
    principal_id: str,
    principal_type: str = "User",
) -> RoleAssignment:
    """Give ``principal_id`` the *Cognitive Services User* role on the account (needed for Entra ID calls).

    Safe to run twice: the assignment name is derived from scope, principal and role (as Bicep's ``guid()``
    does), and an assignment that already exists is returned as it is.
    """
    scope = account_scope(subscription_id, resource_group, account)
    _check_principal_id(principal_id)
    role_definition_id = (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{COGNITIVE_SERVICES_USER_ROLE_ID}"
    )
    name = str(
        uuid.uuid5(
            uuid.NAMESPACE_URL, f"{scope.lower()}|{principal_id.lower()}|{COGNITIVE_SERVICES_USER_ROLE_ID}"
        )
    )
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id, principal_id=principal_id, principal_type=principal_type
    )
    try:
        return authorization.role_assignments.create(scope, name, parameters)
    except ResourceExistsError:  # the same role was given earlier under another assignment name
        for existing in authorization.role_assignments.list_for_scope(scope):
            same_role = existing.role_definition_id.lower().endswith(COGNITIVE_SERVICES_USER_ROLE_ID)
            if same_role and existing.principal_id.lower() == principal_id.lower():
                return existing
        raise


# ------------------------------------------------------------------------- inspect


def _day(value: Any) -> str | None:
    """An ARM date or date-time as ``YYYY-MM-DD`` (the SDK gives datetimes for some fields, text for others).

    The catalogue writes 2099-12-31 where no date is set; that reads as no date.
    """
    if not value:
        return None
    day = value.date().isoformat() if hasattr(value, "date") else str(value)[:10]
    return None if day >= "2099" else day


def _lifecycle_columns(model: Any) -> dict[str, Any]:
    """Lifecycle status, deprecation dates and replacement of a catalogue model, as Resource Manager reports them.

    ``lifecycle_status`` is one of ``GenerallyAvailable``, ``Preview``, ``Deprecating``, ``Deprecated``,
    ``Legacy`` (or the older ``Stable``); ``deprecation.inference`` is the day its deployments stop answering.
    """
    deprecation = getattr(model, "deprecation", None)
    replacement = getattr(model, "replacement_config", None)
    sku_dates = sorted({day for sku in model.skus or [] if (day := _day(sku.deprecation_date))})
    return {
        "lifecycle": getattr(model, "lifecycle_status", None),
        "inference retires": _day(getattr(deprecation, "inference", None)),
        "sku retires": ", ".join(sku_dates) or None,
        "replacement": getattr(replacement, "target_model_name", None),
    }


def list_models_in_region(
    cognitive: CognitiveServicesManagementClient, region: str, model_format: str | None = MODEL_FORMAT
) -> list[dict[str, Any]]:
    """The models offered in ``region`` (``az cognitiveservices model list -l <region>``), one row per version,
    with lifecycle status, deprecation dates and replacement. Only DeepSeek's by default; ``model_format=None``
    keeps every model."""
    rows = []
    for offer in cognitive.models.list(normalize_region(region)):
        model = offer.model
        if model_format and (model.format or "").casefold() != model_format.casefold():
            continue
        rows.append(
            {
                "model": model.name,
                "format": model.format,
                "version": model.version,
                "skus": ", ".join(sku.name for sku in model.skus or [] if sku.name),
                **_lifecycle_columns(model),
            }
        )
    return rows


def list_account_models(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    account: str,
    model_format: str | None = MODEL_FORMAT,
) -> list[dict[str, Any]]:
    """The models ``account`` may deploy (``az cognitiveservices account list-models``), with lifecycle columns."""
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    rows = []
    for model in cognitive.accounts.list_models(resource_group, account):
        if model_format and (model.format or "").casefold() != model_format.casefold():
            continue
        rows.append(
            {
                "model": model.name,
                "version": model.version,
                "skus": ", ".join(sku.name for sku in model.skus or [] if sku.name),
                **_lifecycle_columns(model),
            }
        )
    return rows


def list_deployments(
    cognitive: CognitiveServicesManagementClient, resource_group: str, account: str
) -> list[dict[str, Any]]:
    """One row per deployment of the account: deployment name, model, version, SKU, capacity, state."""
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    rows = []
    for deployment in cognitive.deployments.list(resource_group, account):
        model = deployment.properties.model
        rows.append(
            {
                "deployment": deployment.name,
                "model": model.name,
                "format": model.format,
                "version": model.version,
                "sku": deployment.sku.name,
                "capacity": deployment.sku.capacity,
                "state": deployment.properties.provisioning_state,
            }
        )
    return rows


def wait_until_ready(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    account: str,
    deployment: str | None = None,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
) -> Account | Deployment:
    """Poll the account (or one of its deployments) until its provisioningState is Succeeded; return it."""
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    if deployment is not None:
        validate_deployment_name(deployment)
    what = f"Deployment '{deployment}'" if deployment else f"Foundry account '{account}'"
    deadline = time.monotonic() + timeout
    while True:
        resource: Any
        if deployment:
            resource = cognitive.deployments.get(resource_group, account, deployment)
        else:
            resource = cognitive.accounts.get(resource_group, account)
        state = resource.properties.provisioning_state
        if state == "Succeeded":
            return resource
        if state in ("Failed", "Canceled"):
            raise RuntimeError(f"{what} is {state}. Delete it and create it again.")
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{what} is still {state!r} after {timeout:.0f} s. Check it in the Azure portal, or "
                "call wait_until_ready again with a larger timeout=."
            )
        time.sleep(interval)


def mask_key(key: str | None) -> str:
    """``abcd…wxyz``: enough to tell keys apart, never the whole key."""
    if not key:
        return "(none)"
    if len(key) < 16:
        return "…"
    return f"{key[:4]}…{key[-4:]}"


@dataclass(frozen=True)
class AccountEndpoints:
    """Where to send requests for an account, and its keys masked (``None`` when keys are turned off)."""

    endpoint: str
    openai_v1: str
    azure_openai: str
    model_inference: str
    key1: str | None
    key2: str | None


def endpoint_and_masked_keys(
    cognitive: CognitiveServicesManagementClient, resource_group: str, account: str
) -> AccountEndpoints:
    """The account's endpoints for each client, and its two keys masked.

    ``openai_v1`` is the ``base_url`` for ``OpenAI(...)``; ``azure_openai`` the ``azure_endpoint`` for
    ``AzureOpenAI(...)``; ``model_inference`` the ``endpoint`` for the legacy ``ChatCompletionsClient``.
    """
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    properties = cognitive.accounts.get(resource_group, account).properties
    if properties is None or not properties.endpoint:
        raise RuntimeError(f"Foundry account '{account}' has no endpoint yet: wait until it is provisioned.")
    endpoints = properties.endpoints or {}
    openai = endpoints.get("OpenAI Language Model Instance API", properties.endpoint)
    inference = endpoints.get("Azure AI Model Inference API", properties.endpoint)
    key1: str | None
    key2: str | None
    try:
        keys = cognitive.accounts.list_keys(resource_group, account)
        key1, key2 = mask_key(keys.key1), mask_key(keys.key2)
    except HttpResponseError as error:
        if "disableLocalAuth" not in str(error):
            raise
        key1 = key2 = None  # keys are turned off: use Microsoft Entra ID
    return AccountEndpoints(
        endpoint=properties.endpoint,
        openai_v1=openai.rstrip("/") + "/openai/v1/",
        azure_openai=openai,
        model_inference=inference.rstrip("/") + "/models",
        key1=key1,
        key2=key2,
    )


# ------------------------------------------------------------------------- delete


def delete_deployment(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    account: str,
    deployment: str,
    *,
    progress: ProgressCallback | None = None,
) -> None:
    """Delete one deployment (its capacity goes back to your quota)."""
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    validate_deployment_name(deployment)
    poller = cognitive.deployments.begin_delete(resource_group, account, deployment)
    _wait(poller, f"Delete deployment '{deployment}'", progress)


def delete_account(
    cognitive: CognitiveServicesManagementClient,
    resource_group: str,
    account: str,
    *,
    progress: ProgressCallback | None = None,
) -> None:
    """Delete the account and its deployments.

    Azure keeps a deleted account *soft-deleted* for 48 hours and its subdomain stays taken; to reuse the
    name sooner, purge it: ``az cognitiveservices account purge -l <region> -g <group> -n <account>``.
    """
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    poller = cognitive.accounts.begin_delete(resource_group, account)
    _wait(poller, f"Delete Foundry account '{account}'", progress)


def delete_resource_group(
    resources: ResourceManagementClient,
    name: str,
    *,
    confirm: str,
    wait: bool = True,
    progress: ProgressCallback | None = None,
) -> LROPoller[None] | None:
    """Delete a resource group and **everything in it**. ``confirm`` must repeat the group's name."""
    validate_resource_group_name(name)
    if confirm != name:
        raise ValueError(
            f"Deleting resource group {name!r} deletes every resource in it. To go ahead, pass "
            f"confirm={name!r}."
        )
    poller = resources.resource_groups.begin_delete(name)
    return _wait(poller, f"Delete resource group '{name}'", progress) if wait else poller


# ------------------------------------------------------------------------- the same with the Azure CLI


def az_commands(
    resource_group: str,
    account: str,
    region: str,
    deployment_name: str = DEFAULT_DEPLOYMENT,
    capacity: int = WORKSHOP_CAPACITY,
    principal_id: str | None = None,
    model: str = MODEL_NAME,
    version: str = MODEL_VERSION,
    sku: str = MODEL_SKU,
) -> str:
    """The Azure CLI commands that do what this module does, with your values filled in."""
    validate_resource_group_name(resource_group)
    validate_account_name(account)
    validate_deployment_name(deployment_name)
    _check_capacity(capacity)
    region = check_region(region, model)
    assignee = (
        shlex.quote(_check_principal_id(principal_id))
        if principal_id
        else '"$(az ad signed-in-user show --query id -o tsv)"'
    )
    g, n, d = shlex.quote(resource_group), shlex.quote(account), shlex.quote(deployment_name)
    return "\n".join(
        [
            "# 1. Resource group and Foundry (AIServices) account",
            f"az group create --name {g} --location {region}",
            f"az cognitiveservices account create -n {n} -g {g} --custom-domain {n} --location {region} "
            "--kind AIServices --sku S0",
            f"# 2. Is {model} offered to this account, and not retired (lifecycleStatus)? Then deploy it",
            f"az cognitiveservices account list-models -n {n} -g {g} --query \"[?name=='{model}']\"",
            f"az cognitiveservices account deployment create -n {n} -g {g} --deployment-name {d} "
            f"--model-name {shlex.quote(model)} --model-version {shlex.quote(version)} "
            f"--model-format {MODEL_FORMAT} --sku-name {shlex.quote(sku)} --sku-capacity {capacity}",
            "# 3. Let yourself call it with Microsoft Entra ID",
            f"az role assignment create --assignee-object-id {assignee} --assignee-principal-type User "
            f'--role "Cognitive Services User" --scope "$(az cognitiveservices account show -n {n} -g {g} '
            '--query id -o tsv)"',
            "# 4. Endpoints (`az cognitiveservices account keys list` prints keys whole: keep it out of "
            "notebooks)",
            f"az cognitiveservices account show -n {n} -g {g} --query properties.endpoints",
            "# 5. Clean up",
            f"az cognitiveservices account deployment delete -n {n} -g {g} --deployment-name {d}",
            f"az cognitiveservices account delete -n {n} -g {g}",
            f"az cognitiveservices account purge -l {region} -g {g} -n {n}  # frees the name at once",
            f"az group delete --name {g} --yes",
        ]
    )
