"""Model deployments of an account (``deployments`` in ``azure-mgmt-cognitiveservices``).

A deployment PUT names a model (format, name, version) and a SKU with a capacity. The plane checks it against
the catalogue (:mod:`.models`: a retired model is refused as Azure refuses it) and against the subscription's
quota in the account's region, then answers in one of the two LRO forms (:class:`.state.Behaviour`). The
deployment reports the model and version it runs; the data plane serves it under the deployment's name.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .accounts import find_account
from .errors import ArmError, ArmJSONResponse, missing_property
from .models import CatalogModel, deployable
from .operations import NO_WAIT, async_operation_url
from .paths import ACCOUNT, account_id
from .regions import normalize_region
from .state import Call, etag, key

DEPLOYMENT = ACCOUNT + "/deployments/{dep}"


def find_deployment(call: Call, sub: str, rg: str, account: str, dep: str) -> dict[str, Any]:
    find_account(call, sub, rg, account)
    stored = call.state.deployments.get(key(sub, rg, account, dep))
    if stored is None:
        # Text as seen in a real ARM answer (microsoft/PubSec-Info-Assistant#385).
        raise ArmError(
            404,
            "NotFound",
            f"Specified resource '{account_id(sub, rg, account)}/deployments/{dep}' cannot be found.",
        )
    return stored


def deployment_request(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``properties.model`` and ``sku`` of a deployment PUT, rejecting malformed bodies with a 400."""
    properties = body.get("properties")
    model = properties.get("model") if isinstance(properties, dict) else None
    if not isinstance(model, dict):
        raise missing_property("properties.model")
    for field in ("format", "name"):
        if not isinstance(model.get(field), str) or not model[field]:
            raise missing_property(f"properties.model.{field}")
    version = model.get("version")
    model = {"format": model["format"], "name": model["name"], "version": str(version) if version else None}
    sku = body.get("sku")
    if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
        raise missing_property("sku.name")
    capacity = sku.get("capacity", 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        # Authored to ARM's documented error format.
        raise ArmError(
            400,
            "InvalidCapacity",
            f"The capacity '{capacity}' is invalid: use a whole number of at least 1 (units of 1,000 tokens per "
            "minute).",
        )
    return model, {"name": sku["name"], "capacity": capacity}


def check_quota(call: Call, sub: str, region: str, entry: CatalogModel, sku: dict[str, Any], exclude: tuple) -> None:
    """Quota is per subscription, region, model and SKU, as Azure counts it."""
    used = 0
    for stored_key, deployment in call.state.deployments.items():
        account = call.state.accounts.get(stored_key[:3])
        same_place = stored_key[0] == sub.lower() and account and normalize_region(account["location"]) == region
        same_model = deployment["properties"]["model"]["name"] == entry.name
        if stored_key != exclude and same_place and same_model and deployment["sku"]["name"] == sku["name"]:
            used += deployment["sku"]["capacity"]
    available = entry.quota - used
    if sku["capacity"] > available:
        quota = f"Tokens Per Minute (thousands) - {entry.name} - {sku['name']}"
        # Wording of real InsufficientQuota answers (HTTP 400) as reported by azd and terraform users.
        raise ArmError(
            400,
            "InsufficientQuota",
            f"This operation require {sku['capacity']} new capacity in quota {quota}, which is bigger than the "
            f"current available capacity {available}. The current quota usage is {used} and the quota limit is "
            f"{entry.quota} for quota {quota}.",
        )


async def list_deployments(call: Call, sub: str, rg: str, account: str) -> Response:
    find_account(call, sub, rg, account)
    prefix = key(sub, rg, account)
    return ArmJSONResponse({"value": [d for k, d in call.state.deployments.items() if k[:3] == prefix]})


async def get_deployment(call: Call, sub: str, rg: str, account: str, dep: str) -> Response:
    find_account(call, sub, rg, account)
    call.observe_resource(key(sub, rg, account, dep))
    return ArmJSONResponse(find_deployment(call, sub, rg, account, dep))


async def put_deployment(call: Call, sub: str, rg: str, account: str, dep: str) -> Response:
    body = await call.json()
    stored_account = find_account(call, sub, rg, account)
    state = stored_account["properties"]["provisioningState"]
    if state != "Succeeded":
        # Authored to ARM's documented error format.
        raise ArmError(
            409,
            "AccountProvisioningStateInvalid",
            f"The account '{account}' is in state '{state}'. Wait until its provisioningState is 'Succeeded', "
            "then retry.",
        )
    model, sku = deployment_request(body)
    region = normalize_region(stored_account["location"])
    entry = deployable(call, model, sku["name"], region)
    deployment_key = key(sub, rg, account, dep)
    check_quota(call, sub, region, entry, sku, exclude=deployment_key)
    existed = deployment_key in call.state.deployments
    call.state.check_room("deployments", call.state.deployments, deployment_key)
    properties = body["properties"]
    stored = {
        "id": f"{account_id(sub, rg, account)}/deployments/{dep}",
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "name": dep,
        "sku": sku,
        "properties": {
            "model": {"format": entry.format, "name": entry.name, "version": entry.version},
            "versionUpgradeOption": str(properties.get("versionUpgradeOption", "OnceNewDefaultVersionAvailable")),
            "currentCapacity": sku["capacity"],
            "capabilities": {"chatCompletion": "true"},
            "raiPolicyName": str(properties.get("raiPolicyName", "Microsoft.DefaultV2")),
            "provisioningState": "Succeeded",
            "rateLimits": [
                {"key": "request", "renewalPeriod": 60, "count": sku["capacity"]},
                {"key": "token", "renewalPeriod": 60, "count": sku["capacity"] * 1000},
            ],
        },
        "systemData": call.system_data(),
        "etag": etag(),
    }
    call.state.deployments[deployment_key] = stored
    status = 200 if existed else 201
    if call.behaviour.deployment_lro == "immediate" or existed:
        return ArmJSONResponse(stored, status_code=status)
    stored["properties"]["provisioningState"] = "Creating"

    def finish() -> None:
        stored["properties"]["provisioningState"] = "Succeeded"

    operation = call.start_operation(finish, deployment_key)
    headers = {"Azure-AsyncOperation": async_operation_url(call, sub, region, operation), **NO_WAIT}
    return ArmJSONResponse(stored, status_code=status, headers=headers)


async def delete_deployment(call: Call, sub: str, rg: str, account: str, dep: str) -> Response:
    find_account(call, sub, rg, account)
    if call.state.deployments.pop(key(sub, rg, account, dep), None) is None:
        return Response(status_code=204)
    return Response(status_code=200)  # the recorded CLI run got 200 with an empty body [R]


ROUTES = [
    ("GET", ACCOUNT + "/deployments", list_deployments),
    ("PUT", DEPLOYMENT, put_deployment),
    ("GET", DEPLOYMENT, get_deployment),
    ("DELETE", DEPLOYMENT, delete_deployment),
]
