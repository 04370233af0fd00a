"""The model catalogue: which DeepSeek models a region offers, their lifecycle, and which can be deployed.

Answers ``CognitiveServicesManagementClient.models.list(location)`` (``GET …/locations/{loc}/models``, a list of
``Model``: ``{"kind", "skuName", "model": AccountModel}``) and ``accounts.list_models(rg, account)``
(``GET …/accounts/{a}/models``, a list of ``AccountModel``). The wire shape follows the REST spec's examples
``ListLocationModels.json`` (2025-04-01-preview) and ``ListAccountModels.json`` (2025-10-01-preview) in
``Azure/azure-rest-api-specs``: ``lifecycleStatus``, ``deprecation: {"inference", "deprecationStatus"}``,
``replacementConfig: {"targetModelName", "targetModelVersion"}`` and ``skus[]`` with ``usageName``,
``deprecationDate``, ``capacity`` and ``rateLimits``.

Sources of the values:

* Lifecycle, retirement dates and replacements: Microsoft Learn, *Model retirement schedule — Microsoft
  Foundry* (learn.microsoft.com/azure/foundry/openai/concepts/model-retirement-schedule, updated 2026-09-02).
* Regions, SKUs, capacities, ``usageName`` and rate limits, and the default quota of a subscription: the output
  of ``az cognitiveservices model list`` and ``az cognitiveservices usage list`` in all public regions on
  2026-08-05, published by Hybrid-Solutions-Cloud/homestead-foundry (``docs/public/data/model-matrix.json``,
  SPIKE-32). Every DeepSeek model was offered in the same 33 regions; GlobalProvisionedManaged is left out.
* A retired model stays in the list with ``lifecycleStatus: "Deprecated"`` (the SDK's enum: "Model has been
  deprecated, also known as retired"): in that snapshot DeepSeek-R1-0528, V3-0324 and V3.1 were listed as
  ``Deprecated`` three weeks after their retirement. For DeepSeek-R1 itself after 2026-08-13 this is inferred.
* Deploying a retired model: ``ServiceModelDeprecated``, "The model 'Format:…,Name:…,Version:…' has been
  deprecated since MM/DD/YYYY 00:00:00." (real texts for OpenAI models in Azure-Samples/Azure-Functions-OpenAI-
  Demo#30, 2025-07-16, and microsoft/microsoft-foundry-for-vscode#491, 2026-04-07). The HTTP status (400) and
  the spelling for a DeepSeek model are unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from starlette.responses import Response

from helpers.provisioning import DEEPSEEK_V4_PRO_GLOBAL_STANDARD_REGIONS

from .accounts import find_account
from .errors import ArmError, ArmJSONResponse
from .paths import ACCOUNT, COGNITIVE, SUB
from .regions import check_region, normalize_region
from .state import Call

# The regions that offered DeepSeek models as Global Standard on 2026-08-05 (source in helpers.provisioning).
DEEPSEEK_REGIONS = DEEPSEEK_V4_PRO_GLOBAL_STANDARD_REGIONS
US_DATA_ZONE = frozenset({
    "centralus", "eastus", "eastus2", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2",
    "westus3",
})  # fmt: skip
EU_DATA_ZONE = frozenset({
    "francecentral", "germanywestcentral", "italynorth", "polandcentral", "spaincentral", "swedencentral", "westeurope",
})  # fmt: skip
NOT_SCHEDULED = date(2099, 12, 31)  # the catalogue's placeholder for "no retirement date"


@dataclass(frozen=True)
class CatalogModel:
    """One model version as the catalogue sells it."""

    name: str
    version: str
    lifecycle: str  # until ``retires``: "GenerallyAvailable" or "Preview"
    retires: date = NOT_SCHEDULED
    replacement: tuple[str, str] | None = None  # (name, version)
    max_capacity: int = 1_000_000  # per deployment, in units of 1,000 tokens per minute
    quota: int = 1000  # a subscription's default per region, model and SKU
    data_zone_regions: frozenset[str] = frozenset()
    format: str = "DeepSeek"

    def lifecycle_on(self, day: date) -> str:
        return "Deprecated" if day >= self.retires else self.lifecycle

    def skus_in(self, region: str) -> tuple[str, ...]:
        if region not in DEEPSEEK_REGIONS:
            return ()
        return ("GlobalStandard", "DataZoneStandard") if region in self.data_zone_regions else ("GlobalStandard",)


V4 = "2026-04-23"
CATALOG = (
    CatalogModel("DeepSeek-R1", "1", "GenerallyAvailable", date(2026, 8, 13), ("DeepSeek-V4-Pro", V4), 5000),
    CatalogModel("DeepSeek-R1-0528", "1", "GenerallyAvailable", date(2026, 7, 13), ("DeepSeek-V4-Pro", V4), 5000),
    CatalogModel("DeepSeek-V3-0324", "1", "GenerallyAvailable", date(2026, 7, 13), ("DeepSeek-V4-Flash", V4), 5000),
    CatalogModel("DeepSeek-V3.1", "1", "GenerallyAvailable", date(2026, 7, 13), ("DeepSeek-V4-Flash", V4)),
    CatalogModel("DeepSeek-V3.2", "1", "GenerallyAvailable"),
    CatalogModel("DeepSeek-V3.2-Speciale", "1", "GenerallyAvailable"),
    CatalogModel(
        "DeepSeek-V4-Flash",
        V4,
        "GenerallyAvailable",
        date(2028, 2, 20),
        ("DeepSeek-V4-Flash-0731", "2026-07-31"),
        quota=250,
        data_zone_regions=US_DATA_ZONE | EU_DATA_ZONE,
    ),
    CatalogModel("DeepSeek-V4-Flash-0731", "2026-07-31", "Preview", date(2026, 12, 3), quota=250),
    CatalogModel("DeepSeek-V4-Pro", V4, "GenerallyAvailable", date(2028, 2, 20), data_zone_regions=US_DATA_ZONE),
)


def on_day(call: Call) -> date:
    return call.now().date()


def _stamp(day: date) -> str:
    return datetime(day.year, day.month, day.day).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_model(entry: CatalogModel, region: str, day: date) -> dict[str, Any]:
    """One model version as ``list-models`` describes it (``AccountModel`` in the SDK)."""
    body: dict[str, Any] = {
        "format": entry.format,
        "name": entry.name,
        "version": entry.version,
        "isDefaultVersion": True,
        "lifecycleStatus": entry.lifecycle_on(day),
        "capabilities": {"chatCompletion": "true", "agentsV2": "true"},
        "maxCapacity": 3,  # as the catalogue reported it for every DeepSeek model on 2026-08-05
        "deprecation": {
            "inference": _stamp(entry.retires),
            "deprecationStatus": "Tentative" if entry.retires == NOT_SCHEDULED else "Planned",
        },
        "skus": [
            {
                "name": sku,
                "usageName": f"AIServices.{sku}.{entry.name}",
                "deprecationDate": _stamp(entry.retires),
                "capacity": {"maximum": entry.max_capacity, "default": min(5000, entry.max_capacity)},
                "rateLimits": [
                    {"key": "request", "renewalPeriod": 60, "count": 1},
                    {"key": "token", "renewalPeriod": 60, "count": 1000},
                ],
            }
            for sku in entry.skus_in(region)
        ],
    }
    if entry.replacement:
        name, version = entry.replacement
        body["replacementConfig"] = {"targetModelName": name, "targetModelVersion": version}
    return body


def offered_in(region: str) -> list[CatalogModel]:
    return [entry for entry in CATALOG if entry.skus_in(region)]


async def list_location_models(call: Call, sub: str, loc: str) -> Response:
    region = check_region(loc, "Microsoft.CognitiveServices/locations/models")
    day = on_day(call)
    value = [
        {"kind": "AIServices", "skuName": "S0", "model": account_model(entry, region, day)}
        for entry in offered_in(region)
    ]
    return ArmJSONResponse({"value": value})


async def list_account_models(call: Call, sub: str, rg: str, account: str) -> Response:
    region = normalize_region(find_account(call, sub, rg, account)["location"])
    day = on_day(call)
    return ArmJSONResponse({"value": [account_model(entry, region, day) for entry in offered_in(region)]})


def deployable(call: Call, model: dict[str, str], sku: str, region: str) -> CatalogModel:
    """The catalogue entry a deployment PUT asks for, if it can be deployed here today; else ARM's 400."""
    entry = _find(model)
    day = on_day(call)
    if entry.lifecycle_on(day) == "Deprecated":
        # Real code and wording (for OpenAI models, see the module docstring); HTTP status unconfirmed.
        raise ArmError(
            400,
            "ServiceModelDeprecated",
            f"The model 'Format:{entry.format},Name:{entry.name},Version:{entry.version}' has been deprecated "
            f"since {entry.retires.strftime('%m/%d/%Y')} 00:00:00.",
        )
    if sku not in entry.skus_in(region):
        # Authored to ARM's documented error format (ARM's InvalidResourceProperties answers).
        raise ArmError(
            400,
            "InvalidResourceProperties",
            f"The specified SKU '{sku}' for model '{entry.name} {entry.version}' is not supported in this region "
            f"'{region}'.",
        )
    return entry


def _find(model: dict[str, str]) -> CatalogModel:
    wanted = (model["format"].lower(), model["name"].lower())
    versions = [entry for entry in CATALOG if (entry.format.lower(), entry.name.lower()) == wanted]
    for entry in versions:
        if model["version"] in (None, entry.version):
            return entry
    # Authored to ARM's documented error format.
    raise ArmError(
        400,
        "DeploymentModelNotSupported",
        f"The model 'Format: {model['format']}, Name: {model['name']}, Version: {model['version']}' of account "
        "deployment is not supported. List the models this account offers with "
        "`az cognitiveservices account list-models`.",
    )


ROUTES = [
    ("GET", SUB + COGNITIVE + "/locations/{loc}/models", list_location_models),
    ("GET", ACCOUNT + "/models", list_account_models),
]
