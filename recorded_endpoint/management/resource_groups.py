"""Resource groups (``azure-mgmt-resource``'s ``resource_groups`` and ``resources.list_by_resource_group``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .errors import ArmError, ArmJSONResponse, group_being_deleted, group_not_found
from .operations import NO_WAIT, location_url
from .paths import RG, SUB
from .regions import check_region
from .state import Call, key

MAX_TAGS, MAX_TAG_NAME, MAX_TAG_VALUE = 50, 512, 256  # ARM's documented tag limits


def find_group(call: Call, sub: str, rg: str) -> dict[str, Any]:
    group = call.state.groups.get(key(sub, rg))
    if group is None:
        raise group_not_found(rg)
    return group


def check_tags(tags: Any) -> dict[str, str]:
    """ARM's tag rules: an object of at most 50 string values, names up to 512 and values up to 256 characters."""
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        # Authored after the deserializer messages ARM returns for malformed bodies.
        raise ArmError(
            400, "InvalidRequestContent", "The request content was invalid: 'tags' must map names to strings."
        )
    too_long = [n for n, v in tags.items() if len(n) > MAX_TAG_NAME or len(v) > MAX_TAG_VALUE]
    if len(tags) > MAX_TAGS or too_long:
        # Authored to ARM's documented error format, with the limits Azure documents for tags.
        raise ArmError(
            400,
            "InvalidTag",
            f"Tags allow at most {MAX_TAGS} names of up to {MAX_TAG_NAME} characters, each with a value of up to "
            f"{MAX_TAG_VALUE} characters.",
        )
    return tags


def check_group_name(rg: str) -> None:
    invalid = sorted({c for c in rg if not (c.isalnum() or c in "-._()")})
    if invalid:
        # Wording as ARM's InvalidResourceGroup answer reports it.
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{rg}' has these invalid characters: '{''.join(invalid)}'. The "
            "name can only contain letters, digits, '-', '.', '_', '(' and ')'.",
        )
    if len(rg) > 90 or rg.endswith("."):
        # Authored to ARM's documented error format.
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{rg}' is invalid: resource group names allow up to 90 "
            "characters and cannot end in a period.",
        )


async def list_groups(call: Call, sub: str) -> Response:
    return ArmJSONResponse({"value": [g for k, g in call.state.groups.items() if k[0] == sub.lower()]})


async def put_group(call: Call, sub: str, rg: str) -> Response:
    body = await call.json()
    check_group_name(rg)
    if not isinstance(body.get("location"), str) or not body["location"]:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    location = check_region(body["location"], "Microsoft.Resources/resourceGroups")
    tags = check_tags(body.get("tags"))
    existing = call.state.groups.get(key(sub, rg))
    if existing is not None:
        if existing["location"] != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in location "
                f"'{existing['location']}'.",
            )
        if existing["properties"]["provisioningState"] == "Deleting":
            raise group_being_deleted(rg)
        existing["tags"] = tags
        return ArmJSONResponse(existing)
    call.state.check_room("resource groups", call.state.groups, key(sub, rg))
    group = {
        "id": f"/subscriptions/{sub}/resourceGroups/{rg}",
        "name": rg,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": tags,
        "properties": {"provisioningState": "Succeeded"},
    }
    call.state.groups[key(sub, rg)] = group
    return ArmJSONResponse(group, status_code=201)


async def get_group(call: Call, sub: str, rg: str) -> Response:
    return ArmJSONResponse(find_group(call, sub, rg))


async def head_group(call: Call, sub: str, rg: str) -> Response:
    return Response(status_code=204 if key(sub, rg) in call.state.groups else 404)


async def delete_group(call: Call, sub: str, rg: str) -> Response:
    group = find_group(call, sub, rg)
    group["properties"]["provisioningState"] = "Deleting"
    state = call.state

    def finish() -> None:
        state.remove_under(key(sub, rg), f"/subscriptions/{sub}/resourcegroups/{rg}")
        state.groups.pop(key(sub, rg), None)

    # A second DELETE while the first runs answers with the same operation, as ARM does.
    operation = state.running_operation(key(sub, rg)) or call.start_operation(finish, key(sub, rg))
    return Response(status_code=202, headers={"Location": location_url(call, sub, operation), **NO_WAIT})


async def list_group_resources(call: Call, sub: str, rg: str) -> Response:
    """What ``az resource list -g <rg>`` shows: the group's top-level resources (deployments are children of
    their account, so ARM does not list them here)."""
    find_group(call, sub, rg)
    prefix = key(sub, rg)
    fields = ("id", "name", "type", "sku", "kind", "location", "identity", "tags")
    found = [{f: a[f] for f in fields if f in a} for k, a in call.state.accounts.items() if k[:2] == prefix]
    return ArmJSONResponse({"value": found})


ROUTES = [
    ("GET", SUB + "/resourcegroups", list_groups),
    ("HEAD", RG, head_group),  # before GET: Starlette lets a GET route answer HEAD too
    ("PUT", RG, put_group),
    ("GET", RG, get_group),
    ("DELETE", RG, delete_group),
    ("GET", RG + "/resources", list_group_resources),
]
