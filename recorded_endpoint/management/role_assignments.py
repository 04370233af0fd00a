"""Role assignments (``azure-mgmt-authorization``): who may call an account's models with Entra ID."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from helpers.provisioning import COGNITIVE_SERVICES_USER_ROLE_ID

from .accounts import find_account
from .checks import GUID
from .errors import ArmError, ArmJSONResponse, missing_property
from .resource_groups import find_group
from .state import Call, within

# Built-in role definitions the plane knows (ids are the same in every tenant).
BUILT_IN_ROLES = {
    COGNITIVE_SERVICES_USER_ROLE_ID: "Cognitive Services User",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
}
_GROUP_OR_ACCOUNT = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)"
    r"(?:/providers/microsoft\.cognitiveservices/accounts/(?P<account>[^/]+))?$",
    re.IGNORECASE,
)
ROLE_ASSIGNMENTS = "/subscriptions/{below:path}/providers/microsoft.authorization/roleassignments"


def _scope(below: str) -> str:
    return f"/subscriptions/{below}"


def _role_id(properties: dict[str, Any]) -> str:
    return str(properties.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()


def _triple(assignment: dict[str, Any]) -> tuple[str, str, str]:
    properties = assignment["properties"]
    return properties["scope"].lower(), properties["principalId"].lower(), _role_id(properties)


def _check_scope_exists(call: Call, scope: str) -> None:
    match = _GROUP_OR_ACCOUNT.match(scope)
    if match and match["account"]:
        find_account(call, match["sub"], match["rg"], match["account"])
    elif match:
        find_group(call, match["sub"], match["rg"])


def _check_request(name: str, properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise missing_property("properties")
    if not GUID.fullmatch(name):
        # Authored to ARM's documented error format.
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    if not GUID.fullmatch(str(properties.get("principalId", ""))):
        raise ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    if _role_id(properties) not in BUILT_IN_ROLES:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{_role_id(properties)}' does not exist.",
        )
    return properties


async def put_role_assignment(call: Call, below: str, name: str) -> Response:
    scope = _scope(below)
    body = await call.json()
    properties = _check_request(name, body.get("properties"))
    _check_scope_exists(call, scope)
    assignments = call.state.role_assignments
    triple = (scope.lower(), properties["principalId"].lower(), _role_id(properties))
    existing = assignments.get(name.lower())
    if existing is not None:
        if _triple(existing) != triple:
            raise ArmError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        return ArmJSONResponse(existing)
    if any(_triple(assignment) == triple for assignment in assignments.values()):
        raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    call.state.check_room("role assignments", assignments, name.lower())
    stamp = call.timestamp()
    assignment = {
        "properties": {
            "roleDefinitionId": str(properties["roleDefinitionId"]),
            "principalId": properties["principalId"],
            "principalType": str(properties.get("principalType", "User")),
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": stamp,
            "updatedOn": stamp,
            "createdBy": None,
            "updatedBy": "learner@example.com",
            "delegatedManagedIdentityResourceId": None,
            "description": properties.get("description") if isinstance(properties.get("description"), str) else None,
        },
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }
    assignments[name.lower()] = assignment
    return ArmJSONResponse(assignment, status_code=201)


async def get_role_assignment(call: Call, below: str, name: str) -> Response:
    assignment = call.state.role_assignments.get(name.lower())
    if assignment is None or assignment["properties"]["scope"].lower() != _scope(below).lower():
        raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
    return ArmJSONResponse(assignment)


async def delete_role_assignment(call: Call, below: str, name: str) -> Response:
    assignment = call.state.role_assignments.pop(name.lower(), None)
    if assignment is None:
        return Response(status_code=204)
    return ArmJSONResponse(assignment)


async def list_role_assignments(call: Call, below: str) -> Response:
    """Assignments at, above and below the scope, as ``roleAssignments`` list-for-scope answers."""
    scope = _scope(below)
    found = [
        a
        for a in call.state.role_assignments.values()
        if within(scope, a["properties"]["scope"]) or within(a["properties"]["scope"], scope)
    ]
    return ArmJSONResponse({"value": found})


ROUTES = [
    ("GET", ROLE_ASSIGNMENTS, list_role_assignments),
    ("PUT", ROLE_ASSIGNMENTS + "/{name}", put_role_assignment),
    ("GET", ROLE_ASSIGNMENTS + "/{name}", get_role_assignment),
    ("DELETE", ROLE_ASSIGNMENTS + "/{name}", delete_role_assignment),
]
