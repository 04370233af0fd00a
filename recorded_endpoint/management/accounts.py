"""Foundry resources: ``Microsoft.CognitiveServices`` accounts of kind ``AIServices``, and their keys.

Every endpoint an account reports is the host the client used, so the data plane of the same recorded
endpoint answers it. ``listKeys`` never hands out the server's key unless that key is the public default
(see :meth:`recorded_endpoint.management.ManagementPlane.keys_for`).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from starlette.responses import Response

from .errors import ArmError, ArmJSONResponse, group_being_deleted, missing_property
from .operations import NO_WAIT, async_operation_url
from .paths import ACCOUNT, COGNITIVE, RG, SUB, account_id
from .regions import check_region, normalize_region
from .resource_groups import check_tags, find_group
from .state import Call, etag, key

ENDPOINT_NAMES = (
    "AI Foundry API",
    "Azure AI Model Inference API",
    "OpenAI Language Model Instance API",
    "Azure OpenAI Legacy API - Latest moniker",
    "Token Service API",
)


def find_account(call: Call, sub: str, rg: str, account: str) -> dict[str, Any]:
    find_group(call, sub, rg)
    stored = call.state.accounts.get(key(sub, rg, account))
    if stored is None:
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.CognitiveServices/accounts/{account}' under resource group '{rg}' was not "
            "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )
    return stored


def render(call: Call, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored account plus endpoints on the host the client used, so the data plane answers them."""
    body = copy.deepcopy(stored)
    body["properties"]["endpoint"] = call.base_url
    body["properties"]["endpoints"] = dict.fromkeys(ENDPOINT_NAMES, call.base_url)
    return body


async def list_accounts(call: Call, sub: str, rg: str | None = None) -> Response:
    if rg is not None:
        find_group(call, sub, rg)
    prefix = key(sub, rg) if rg is not None else key(sub)
    found = [render(call, a) for k, a in call.state.accounts.items() if k[: len(prefix)] == prefix]
    return ArmJSONResponse({"value": found})


def _account_request(body: dict[str, Any]) -> dict[str, Any]:
    """``properties`` of an account PUT, after checking ``kind``, ``sku`` and ``location`` are there."""
    for required, kind in (("kind", str), ("sku", dict), ("location", str)):
        if not body.get(required) or not isinstance(body[required], kind):
            raise missing_property(required)
    if not isinstance(body["sku"].get("name"), str):
        raise missing_property("sku.name")
    properties = body.get("properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise missing_property("properties")
    return properties


async def put_account(call: Call, sub: str, rg: str, account: str) -> Response:
    body = await call.json()
    group = find_group(call, sub, rg)
    if group["properties"]["provisioningState"] == "Deleting":
        raise group_being_deleted(rg)
    properties = _account_request(body)
    location = check_region(body["location"], "Microsoft.CognitiveServices/accounts")
    tags = check_tags(body.get("tags"))
    subdomain = str(properties.get("customSubDomainName") or "")
    existing = call.state.accounts.get(key(sub, rg, account))
    if existing is not None:
        return _update_account(call, existing, body, properties, location, rg)
    _check_subdomain_free(call, subdomain)
    call.state.check_room("accounts", call.state.accounts, key(sub, rg, account))
    stored: dict[str, Any] = {
        "id": account_id(sub, rg, account),
        "name": account,
        "type": "Microsoft.CognitiveServices/accounts",
        "etag": etag(),
        "location": location,
        "sku": {"name": body["sku"]["name"]},
        "kind": body["kind"],
        "tags": tags,
        "properties": {
            "customSubDomainName": subdomain or None,
            "publicNetworkAccess": str(properties.get("publicNetworkAccess", "Enabled")),
            "disableLocalAuth": bool(properties.get("disableLocalAuth", False)),
            "allowProjectManagement": bool(properties.get("allowProjectManagement", False)),
            "dateCreated": call.timestamp(),
            "isMigrated": False,
            "privateEndpointConnections": [],
            "provisioningState": "Creating",
        },
        "systemData": call.system_data(),
    }
    identity = body.get("identity")
    if isinstance(identity, dict) and identity.get("type") == "SystemAssigned":
        stored["identity"] = {
            "type": "SystemAssigned",
            "principalId": str(uuid.uuid4()),
            "tenantId": "00000000-0000-0000-0000-000000000000",
        }
    call.state.accounts[key(sub, rg, account)] = stored

    def finish() -> None:
        stored["properties"]["provisioningState"] = "Succeeded"

    operation = call.start_operation(finish, key(sub, rg, account))
    headers = {"Azure-AsyncOperation": async_operation_url(call, sub, location, operation), **NO_WAIT}
    return ArmJSONResponse(render(call, stored), status_code=201, headers=headers)


def _update_account(
    call: Call, stored: dict[str, Any], body: dict[str, Any], properties: dict[str, Any], location: str, rg: str
) -> Response:
    if normalize_region(stored["location"]) != location:
        raise ArmError(
            409,
            "InvalidResourceLocation",
            f"The resource '{stored['name']}' already exists in location '{stored['location']}' in resource "
            f"group '{rg}'. A resource with the same name cannot be created in location '{body['location']}'. "
            "Please select a new resource name.",
        )
    for name, kind in (("publicNetworkAccess", str), ("disableLocalAuth", bool), ("allowProjectManagement", bool)):
        if name in properties:
            stored["properties"][name] = kind(properties[name])
    stored["tags"] = check_tags(body.get("tags")) or stored["tags"]
    stored["etag"] = etag()
    return ArmJSONResponse(render(call, stored))


def _check_subdomain_free(call: Call, subdomain: str) -> None:
    """Subdomains are unique among one learner's accounts (on Azure: worldwide; here each learner of a room
    keeps the course's default name)."""
    taken = {str(a["properties"]["customSubDomainName"] or "").lower() for a in call.state.accounts.values()}
    if subdomain and subdomain.lower() in taken:
        # Real text, from HTTP 409 answers quoted in microsoft/microsoft-foundry-for-vscode#52 and #107.
        raise ArmError(
            409,
            "CustomDomainInUse",
            f"Please pick a different name. The subdomain name '{subdomain}' is not available as it's already "
            "used by a resource. If the resource using the name was deleted in the last 48 hours, you may need "
            'to purge the deleted resource. Learn more at "https://go.microsoft.com/fwlink/?linkid=2215493"',
        )


async def get_account(call: Call, sub: str, rg: str, account: str) -> Response:
    find_group(call, sub, rg)
    call.observe_resource(key(sub, rg, account))
    return ArmJSONResponse(render(call, find_account(call, sub, rg, account)))


async def delete_account(call: Call, sub: str, rg: str, account: str) -> Response:
    find_group(call, sub, rg)
    if key(sub, rg, account) not in call.state.accounts:
        return Response(status_code=204)
    call.state.remove_under(key(sub, rg, account), account_id(sub, rg, account))
    return Response(status_code=200)  # the recorded CLI run got 200 with an empty body [R]


async def list_keys(call: Call, sub: str, rg: str, account: str) -> Response:
    stored = find_account(call, sub, rg, account)
    if stored["properties"]["disableLocalAuth"]:
        # Authored to ARM's documented error format (the message as the CLI reports it).
        raise ArmError(400, "BadRequest", "Failed to list key. disableLocalAuth is set to be true")
    key1, key2 = call.keys_for(stored["id"])
    return ArmJSONResponse({"key1": key1, "key2": key2})


ROUTES = [
    ("GET", SUB + COGNITIVE + "/accounts", list_accounts),
    ("GET", RG + COGNITIVE + "/accounts", list_accounts),
    ("PUT", ACCOUNT, put_account),
    ("GET", ACCOUNT, get_account),
    ("DELETE", ACCOUNT, delete_account),
    ("POST", ACCOUNT + "/listkeys", list_keys),
]
