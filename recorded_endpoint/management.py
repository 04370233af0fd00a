"""The recorded endpoint's management plane: Azure Resource Manager (ARM) routes for lessons 01, 02 and 11.

`ManagementPlane` keeps resource groups, Foundry (``AIServices``) accounts, model deployments and role
assignments in memory and answers the real ``azure-mgmt-resource``, ``azure-mgmt-cognitiveservices`` and
``azure-mgmt-authorization`` clients the way ARM does:

* long-running operations: an account PUT answers ``201`` + ``Azure-AsyncOperation`` with
  ``provisioningState: "Creating"``, the operation URL reports ``Creating`` and then ``Succeeded``; a resource
  group DELETE answers ``202`` + ``Location`` and that URL answers ``202`` until the group is gone;
* every absolute URL it hands out (operation URLs, account endpoints) points at the host the client used,
  so the SDK keeps talking to this server and the data plane of the same server answers the endpoints;
* errors are ARM's JSON shape ``{"error": {"code": ..., "message": ...}}`` with ARM's codes.

Bodies follow real ARM recordings (``Azure/azure-cli`` cognitiveservices recordings, 2025-10-28) where one
exists. Where no recording was found the text is *authored to ARM's documented error format*; those places
say so in a comment.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpers.provisioning import (
    COGNITIVE_SERVICES_USER_ROLE_ID,
    DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS,
    normalize_region,
)

from .constants import DEFAULT_API_KEY
from .identity import parse_token

MANAGEMENT_AUDIENCE = "management.azure.com"
# Not secrets and deliberately not key-shaped: key1 is the data plane's public default key, so a key taken
# from listKeys works against the same recorded endpoint.
RECORDED_API_KEYS = (DEFAULT_API_KEY, f"{DEFAULT_API_KEY}-2")
OPERATION_API_VERSION = "2017-04-18"  # what Cognitive Services puts in its operationResults URLs [R]

# Built-in role definitions the plane knows (ids are the same in every tenant).
BUILT_IN_ROLES = {
    COGNITIVE_SERVICES_USER_ROLE_ID: "Cognitive Services User",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
}

# Azure public regions accepted as a location (DeepSeek-R1 is offered in a subset of them).
AZURE_REGIONS = DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS | {
    "australiacentral", "australiasoutheast", "centralindia", "centralus", "eastasia", "francesouth",
    "germanynorth", "japanwest", "koreasouth", "northeurope", "norwaywest", "southeastasia", "uaecentral",
    "ukwest", "westcentralus", "westindia", "westus2",
}  # fmt: skip

# Models the plane offers, per region. Quota is in capacity units of 1,000 tokens per minute; 5,000 units
# matches the 5,000,000 tokens per minute that Microsoft's DeepSeek-R1 tutorial (seed 001) quotes.
MODEL_CATALOG = tuple(
    {"format": "DeepSeek", "name": name, "version": "1", "sku": "GlobalStandard", "quota": 5000}
    for name in ("DeepSeek-R1", "DeepSeek-V3-0324")
)

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_CS = r"/providers/microsoft\.cognitiveservices"
_ACCOUNT = _RG + _CS + r"/accounts/(?P<account>[^/]+)"
_ROLES = r"(?P<scope>/subscriptions/.+?)/providers/microsoft\.authorization/roleassignments"


class ArmError(Exception):
    """An ARM error answer: HTTP status plus ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


@dataclass
class Operation:
    """A pending long-running operation. It finishes after ``polls_left`` more observations."""

    id: str
    started: str
    polls_left: int
    finish: Callable[[], None]
    status: str = "Creating"
    ended: str | None = None


def _key(*names: str) -> tuple[str, ...]:
    """ARM names are case-insensitive: state is keyed by lower-case names."""
    return tuple(name.lower() for name in names)


class ManagementPlane:
    """In-memory Azure Resource Manager for the course's resources. Mount ``.routes`` in a Starlette app.

    ``deployment_lro`` picks how a deployment PUT answers: ``"async-operation"`` (201 + Azure-AsyncOperation,
    "Creating" then "Succeeded") or ``"immediate"`` (201 with "Succeeded", as in the recorded CLI run).
    ``polls_before_success`` is how many polls an operation reports as still running.
    """

    def __init__(
        self,
        deployment_lro: str = "async-operation",
        polls_before_success: int = 1,
        api_keys: tuple[str, str] = RECORDED_API_KEYS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if deployment_lro not in ("async-operation", "immediate"):
            raise ValueError("deployment_lro must be 'async-operation' or 'immediate'")
        self.deployment_lro = deployment_lro
        self.polls_before_success = polls_before_success
        self.api_keys = api_keys
        self._now = now or (lambda: datetime.now(UTC))
        route = Route(
            "/subscriptions/{path:path}",
            self._handle,
            methods=["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"],
        )
        route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)  # ARM paths ignore case
        self.routes = [route]
        table: list[tuple[str, str, Callable[..., Awaitable[Response]]]] = [
            ("GET", _SUB + r"/resourcegroups", self.list_groups),
            ("PUT", _RG, self.put_group),
            ("GET", _RG, self.get_group),
            ("GET", _RG + r"/resources", self.list_group_resources),
            ("HEAD", _RG, self.head_group),
            ("DELETE", _RG, self.delete_group),
            ("GET", _SUB + r"/operationresults/(?P<op>[^/]+)", self.get_location_operation),
            (
                "GET",
                _SUB + _CS + r"/locations/(?P<loc>[^/]+)/operationresults/(?P<op>[^/]+)",
                self.get_operation,
            ),
            ("GET", _SUB + _CS + r"/locations/(?P<loc>[^/]+)/models", self.list_location_models),
            ("GET", _SUB + _CS + r"/accounts", self.list_accounts),
            ("GET", _RG + _CS + r"/accounts", self.list_accounts),
            ("PUT", _ACCOUNT, self.put_account),
            ("GET", _ACCOUNT, self.get_account),
            ("DELETE", _ACCOUNT, self.delete_account),
            ("POST", _ACCOUNT + r"/listkeys", self.list_keys),
            ("GET", _ACCOUNT + r"/models", self.list_account_models),
            ("GET", _ACCOUNT + r"/deployments", self.list_deployments),
            ("PUT", _ACCOUNT + r"/deployments/(?P<dep>[^/]+)", self.put_deployment),
            ("GET", _ACCOUNT + r"/deployments/(?P<dep>[^/]+)", self.get_deployment),
            ("DELETE", _ACCOUNT + r"/deployments/(?P<dep>[^/]+)", self.delete_deployment),
            ("GET", _ROLES, self.list_role_assignments),
            ("PUT", _ROLES + r"/(?P<name>[^/]+)", self.put_role_assignment),
            ("GET", _ROLES + r"/(?P<name>[^/]+)", self.get_role_assignment),
            ("DELETE", _ROLES + r"/(?P<name>[^/]+)", self.delete_role_assignment),
        ]
        self._table = [
            (method, re.compile(pattern + "$", re.IGNORECASE), handler) for method, pattern, handler in table
        ]
        self.reset()

    def reset(self) -> None:
        """Forget every resource, pending operation and logged call."""
        self.groups: dict[tuple[str, ...], dict[str, Any]] = {}
        self.accounts: dict[tuple[str, ...], dict[str, Any]] = {}
        self.deployments: dict[tuple[str, ...], dict[str, Any]] = {}
        self.role_assignments: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, Operation] = {}
        self._pending: dict[tuple[str, ...], str] = {}  # resource key -> id of the operation creating it
        self.calls: list[str] = []  # "METHOD /path" of every request, for tests and debugging

    # ---------------------------------------------------------------- request plumbing

    async def _handle(self, request: Request) -> Response:
        path = request.url.path.rstrip("/")
        self.calls.append(f"{request.method} {path}")
        try:
            self._authenticate(request)
            self._check_subscription(path)
            self._check_api_version(request)
            for method, pattern, handler in self._table:
                match = pattern.match(path)
                if match and method == request.method:
                    return await handler(request, **match.groupdict())
            allowed = [m for m, p, _ in self._table if p.match(path)]
            if allowed:
                # Authored to ARM's documented error format.
                raise ArmError(
                    405,
                    "MethodNotAllowed",
                    f"The HTTP method '{request.method}' is not supported "
                    f"for '{path}'. Supported: {', '.join(allowed)}.",
                )
            raise ArmError(
                404,
                "NotFound",
                f"The recorded endpoint has no management route for '{path}'. It "
                "serves resource groups, Microsoft.CognitiveServices accounts, deployments and models, "
                "and Microsoft.Authorization role assignments.",
            )
        except ArmError as error:
            return error.response()

    def _authenticate(self, request: Request) -> None:
        """Require an Entra token for ARM, answering 401 the way ARM does."""
        header = request.headers.get("authorization")
        if header is None:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                _challenge("The authentication failed because of missing 'Authorization' header."),
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                _challenge("The authentication failed because of invalid 'Authorization' header format."),
            )
        parsed = parse_token(token.strip())
        if parsed is None:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                _challenge("The access token is invalid."),
            )
        audience, _ = parsed
        if audience != MANAGEMENT_AUDIENCE:
            raise ArmError(
                401,
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for "
                f"wrong audience or resource 'https://{audience}'. It should exactly match with one of "
                "the allowed audiences 'https://management.core.windows.net/','https://management.core."
                "windows.net','https://management.azure.com/','https://management.azure.com'.",
                _challenge("The access token has an invalid audience."),
            )

    @staticmethod
    def _check_subscription(path: str) -> None:
        subscription = path.split("/")[2] if path.count("/") >= 2 else ""
        if not GUID.match(subscription):
            raise ArmError(
                400,
                "InvalidSubscriptionId",
                f"The provided subscription identifier '{subscription}' is malformed or invalid.",
            )

    @staticmethod
    def _check_api_version(request: Request) -> None:
        version = request.query_params.get("api-version")
        if version is None:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION.match(version):
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The "
                "supported versions look like '2025-09-01' or '2025-04-01-preview'.",
            )

    @staticmethod
    async def _json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: '{error}'.",
            ) from None
        if not isinstance(body, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be "
                "deserialized: 'the body must be a JSON object'.",
            )
        return body

    def _timestamp(self) -> str:
        return self._now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _system_data(self) -> dict[str, str]:
        stamp = self._timestamp()
        return {
            "createdBy": "learner@example.com",
            "createdByType": "User",
            "createdAt": stamp,
            "lastModifiedBy": "learner@example.com",
            "lastModifiedByType": "User",
            "lastModifiedAt": stamp,
        }

    def _start_operation(self, finish: Callable[[], None], resource: tuple[str, ...]) -> Operation:
        operation = Operation(str(uuid.uuid4()), self._timestamp(), self.polls_before_success, finish)
        self.operations[operation.id] = operation
        self._pending[resource] = operation.id
        return operation

    def _observe(self, operation: Operation) -> None:
        """Each look at a running operation (a poll, or a GET of its resource) moves it one step on."""
        if operation.ended is not None:
            return
        if operation.polls_left > 0:
            operation.polls_left -= 1
            return
        operation.finish()
        operation.status, operation.ended = "Succeeded", self._timestamp()

    def _observe_resource(self, resource: tuple[str, ...]) -> None:
        operation_id = self._pending.get(resource)
        if operation_id:
            self._observe(self.operations[operation_id])

    # ---------------------------------------------------------------- resource groups

    def _group(self, sub: str, rg: str) -> dict[str, Any]:
        group = self.groups.get(_key(sub, rg))
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        return group

    async def list_groups(self, request: Request, sub: str) -> Response:
        return JSONResponse({"value": [g for k, g in self.groups.items() if k[0] == sub.lower()]})

    async def put_group(self, request: Request, sub: str, rg: str) -> Response:
        body = await self._json_body(request)
        _check_group_name(rg)
        if not isinstance(body.get("location"), str) or not body["location"]:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        location = self._region(body["location"], "Microsoft.Resources/resourceGroups")
        existing = self.groups.get(_key(sub, rg))
        if existing is not None:
            if existing["location"] != location:
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location "
                    f"'{location}'. The Resource group already exists in location "
                    f"'{existing['location']}'.",
                )
            if existing["properties"]["provisioningState"] == "Deleting":
                raise _group_being_deleted(rg)
            existing["tags"] = body.get("tags") or {}
            return JSONResponse(existing)
        group = {
            "id": f"/subscriptions/{sub}/resourceGroups/{rg}",
            "name": rg,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "tags": body.get("tags") or {},
            "properties": {"provisioningState": "Succeeded"},
        }
        self.groups[_key(sub, rg)] = group
        return JSONResponse(group, status_code=201)

    async def get_group(self, request: Request, sub: str, rg: str) -> Response:
        return JSONResponse(self._group(sub, rg))

    async def head_group(self, request: Request, sub: str, rg: str) -> Response:
        return Response(status_code=204 if _key(sub, rg) in self.groups else 404)

    async def delete_group(self, request: Request, sub: str, rg: str) -> Response:
        group = self._group(sub, rg)
        group["properties"]["provisioningState"] = "Deleting"
        operation = self._start_operation(lambda: self._remove_group(sub, rg), _key(sub, rg))
        location = (
            f"{request.base_url}subscriptions/{sub}/operationresults/{operation.id}"
            f"?api-version={request.query_params['api-version']}"
        )
        return Response(status_code=202, headers={"Location": location, "Retry-After": "0"})

    async def list_group_resources(self, request: Request, sub: str, rg: str) -> Response:
        """What ``az resource list -g <rg>`` shows: the group's top-level resources (deployments are children
        of their account, so ARM does not list them here)."""
        self._group(sub, rg)
        prefix = _key(sub, rg)
        fields = ("id", "name", "type", "sku", "kind", "location", "identity", "tags")
        found = [{f: a[f] for f in fields if f in a} for k, a in self.accounts.items() if k[:2] == prefix]
        return JSONResponse({"value": found})

    def _remove_group(self, sub: str, rg: str) -> None:
        prefix = _key(sub, rg)
        for store in (self.accounts, self.deployments):
            for key in [k for k in store if k[:2] == prefix]:
                del store[key]
        scope = f"/subscriptions/{sub}/resourcegroups/{rg}".lower()
        self._remove_role_assignments_under(scope)
        self.groups.pop(prefix, None)

    async def get_location_operation(self, request: Request, sub: str, op: str) -> Response:
        operation = self._operation(op)
        self._observe(operation)
        if operation.ended is None:
            return Response(status_code=202, headers={"Location": str(request.url), "Retry-After": "0"})
        return Response(status_code=200, headers={"Retry-After": "0"})

    # ---------------------------------------------------------------- accounts

    def _account(self, sub: str, rg: str, account: str) -> dict[str, Any]:
        self._group(sub, rg)
        stored = self.accounts.get(_key(sub, rg, account))
        if stored is None:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.CognitiveServices/accounts/"
                f"{account}' under resource group '{rg}' was not found. For more details please go to "
                "https://aka.ms/ARMResourceNotFoundFix",
            )
        return stored

    def _render_account(self, request: Request, stored: dict[str, Any]) -> dict[str, Any]:
        """The stored account plus endpoints on the host the client used, so the data plane answers them."""
        base = str(request.base_url)
        body = json.loads(json.dumps(stored))
        body["properties"]["endpoint"] = base
        body["properties"]["endpoints"] = {
            "AI Foundry API": base,
            "Azure AI Model Inference API": base,
            "OpenAI Language Model Instance API": base,
            "Azure OpenAI Legacy API - Latest moniker": base,
            "Token Service API": base,
        }
        return body

    async def list_accounts(self, request: Request, sub: str, rg: str | None = None) -> Response:
        if rg is not None:
            self._group(sub, rg)
        prefix = _key(sub, rg) if rg is not None else _key(sub)
        found = [
            self._render_account(request, a) for k, a in self.accounts.items() if k[: len(prefix)] == prefix
        ]
        return JSONResponse({"value": found})

    async def put_account(self, request: Request, sub: str, rg: str, account: str) -> Response:
        body = await self._json_body(request)
        group = self._group(sub, rg)
        if group["properties"]["provisioningState"] == "Deleting":
            raise _group_being_deleted(rg)
        for required, kind in (("kind", str), ("sku", dict), ("location", str)):
            if not body.get(required) or not isinstance(body[required], kind):
                raise _missing_property(required)
        if not isinstance(body["sku"].get("name"), str):
            raise _missing_property("sku.name")
        location = self._region(body["location"], "Microsoft.CognitiveServices/accounts")
        properties = body.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            raise _missing_property("properties")
        subdomain = str(properties.get("customSubDomainName") or "")
        existing = self.accounts.get(_key(sub, rg, account))
        if existing is not None:
            return self._update_account(request, existing, body, location, rg)
        self._check_subdomain_free(subdomain)
        stored = {
            "id": self._account_id(sub, rg, account),
            "name": account,
            "type": "Microsoft.CognitiveServices/accounts",
            "etag": _etag(),
            "location": location,
            "sku": body["sku"],
            "kind": body["kind"],
            "tags": body.get("tags") or {},
            "properties": {
                "customSubDomainName": subdomain or None,
                "publicNetworkAccess": properties.get("publicNetworkAccess", "Enabled"),
                "disableLocalAuth": bool(properties.get("disableLocalAuth", False)),
                "allowProjectManagement": bool(properties.get("allowProjectManagement", False)),
                "dateCreated": self._timestamp(),
                "isMigrated": False,
                "privateEndpointConnections": [],
                "provisioningState": "Creating",
            },
            "systemData": self._system_data(),
        }
        identity = body.get("identity")
        if isinstance(identity, dict) and identity.get("type") == "SystemAssigned":
            stored["identity"] = {
                "type": "SystemAssigned",
                "principalId": str(uuid.uuid4()),
                "tenantId": "00000000-0000-0000-0000-000000000000",
            }
        self.accounts[_key(sub, rg, account)] = stored

        def finish() -> None:
            stored["properties"]["provisioningState"] = "Succeeded"

        operation = self._start_operation(finish, _key(sub, rg, account))
        headers = {
            "Azure-AsyncOperation": self._operation_url(request, sub, location, operation),
            "Retry-After": "0",
        }
        return JSONResponse(self._render_account(request, stored), status_code=201, headers=headers)

    def _update_account(
        self, request: Request, stored: dict[str, Any], body: dict[str, Any], location: str, rg: str
    ) -> Response:
        if normalize_region(stored["location"]) != location:
            raise ArmError(
                409,
                "InvalidResourceLocation",
                f"The resource '{stored['name']}' already exists in "
                f"location '{stored['location']}' in resource group '{rg}'. A resource with the same "
                f"name cannot be created in location '{body['location']}'. Please select a new "
                "resource name.",
            )
        properties = body.get("properties") or {}
        for name in ("publicNetworkAccess", "disableLocalAuth", "allowProjectManagement"):
            if name in properties:
                stored["properties"][name] = properties[name]
        stored["tags"] = body.get("tags") or stored["tags"]
        stored["etag"] = _etag()
        return JSONResponse(self._render_account(request, stored))

    def _check_subdomain_free(self, subdomain: str) -> None:
        taken = {str(a["properties"]["customSubDomainName"] or "").lower() for a in self.accounts.values()}
        if subdomain and subdomain.lower() in taken:
            # Real text, from HTTP 409 answers quoted in microsoft/microsoft-foundry-for-vscode#52 and #107.
            raise ArmError(
                409,
                "CustomDomainInUse",
                f"Please pick a different name. The subdomain name "
                f"'{subdomain}' is not available as it's already used by a resource. If the resource "
                "using the name was deleted in the last 48 hours, you may need to purge the deleted "
                'resource. Learn more at "https://go.microsoft.com/fwlink/?linkid=2215493"',
            )

    def _operation_url(self, request: Request, sub: str, location: str, operation: Operation) -> str:
        return (
            f"{request.base_url}subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/"
            f"{location}/operationResults/{operation.id}?api-version={OPERATION_API_VERSION}"
        )

    async def get_account(self, request: Request, sub: str, rg: str, account: str) -> Response:
        self._group(sub, rg)
        self._observe_resource(_key(sub, rg, account))
        return JSONResponse(self._render_account(request, self._account(sub, rg, account)))

    async def delete_account(self, request: Request, sub: str, rg: str, account: str) -> Response:
        self._group(sub, rg)
        key = _key(sub, rg, account)
        if key not in self.accounts:
            return Response(status_code=204)
        del self.accounts[key]
        for dep in [k for k in self.deployments if k[:3] == key]:
            del self.deployments[dep]
        self._remove_role_assignments_under(self._account_id(sub, rg, account).lower())
        return Response(status_code=200)  # the recorded CLI run got 200 with an empty body [R]

    @staticmethod
    def _account_id(sub: str, rg: str, account: str) -> str:
        group = f"/subscriptions/{sub}/resourceGroups/{rg}"
        return f"{group}/providers/Microsoft.CognitiveServices/accounts/{account}"

    async def list_keys(self, request: Request, sub: str, rg: str, account: str) -> Response:
        stored = self._account(sub, rg, account)
        if stored["properties"]["disableLocalAuth"]:
            # Authored to ARM's documented error format (the message as the CLI reports it).
            raise ArmError(400, "BadRequest", "Failed to list key. disableLocalAuth is set to be true")
        return JSONResponse({"key1": self.api_keys[0], "key2": self.api_keys[1]})

    # ---------------------------------------------------------------- models offered per region

    def _region(self, name: str, resource_type: str) -> str:
        region = normalize_region(name)
        if region not in AZURE_REGIONS:
            raise ArmError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{name}' is not "
                f"available for resource type '{resource_type}'. List of available regions for the "
                f"resource type is '{','.join(sorted(AZURE_REGIONS))}'.",
            )
        return region

    @staticmethod
    def _models_in(region: str) -> list[dict[str, Any]]:
        if region not in DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS:
            return []
        return [_model_body(entry) for entry in MODEL_CATALOG]

    async def list_location_models(self, request: Request, sub: str, loc: str) -> Response:
        region = self._region(loc, "Microsoft.CognitiveServices/locations/models")
        value = [{"model": model, "kind": "AIServices", "skuName": "S0"} for model in self._models_in(region)]
        return JSONResponse({"value": value})

    async def list_account_models(self, request: Request, sub: str, rg: str, account: str) -> Response:
        stored = self._account(sub, rg, account)
        return JSONResponse({"value": self._models_in(normalize_region(stored["location"]))})

    # ---------------------------------------------------------------- deployments

    def _deployment(self, sub: str, rg: str, account: str, dep: str) -> dict[str, Any]:
        self._account(sub, rg, account)
        stored = self.deployments.get(_key(sub, rg, account, dep))
        if stored is None:
            # Text as seen in a real ARM answer (microsoft/PubSec-Info-Assistant#385).
            raise ArmError(
                404,
                "NotFound",
                f"Specified resource '{self._account_id(sub, rg, account)}"
                f"/deployments/{dep}' cannot be found.",
            )
        return stored

    async def list_deployments(self, request: Request, sub: str, rg: str, account: str) -> Response:
        self._account(sub, rg, account)
        prefix = _key(sub, rg, account)
        return JSONResponse({"value": [d for k, d in self.deployments.items() if k[:3] == prefix]})

    async def get_deployment(self, request: Request, sub: str, rg: str, account: str, dep: str) -> Response:
        self._account(sub, rg, account)
        self._observe_resource(_key(sub, rg, account, dep))
        return JSONResponse(self._deployment(sub, rg, account, dep))

    async def put_deployment(self, request: Request, sub: str, rg: str, account: str, dep: str) -> Response:
        body = await self._json_body(request)
        stored_account = self._account(sub, rg, account)
        state = stored_account["properties"]["provisioningState"]
        if state != "Succeeded":
            # Authored to ARM's documented error format.
            raise ArmError(
                409,
                "AccountProvisioningStateInvalid",
                f"The account '{account}' is in state "
                f"'{state}'. Wait until its provisioningState is 'Succeeded', then retry.",
            )
        model, sku = _deployment_request(body)
        region = normalize_region(stored_account["location"])
        entry = _catalog_entry(model)
        if region not in DEEPSEEK_R1_GLOBAL_STANDARD_REGIONS or sku["name"] != entry["sku"]:
            # Authored to ARM's documented error format (ARM's InvalidResourceProperties answers).
            raise ArmError(
                400,
                "InvalidResourceProperties",
                f"The specified SKU '{sku['name']}' for model "
                f"'{model['name']} {model['version']}' is not supported in this region '{region}'.",
            )
        key = _key(sub, rg, account, dep)
        self._check_quota(sub, region, entry, sku["capacity"], exclude=key)
        existed = key in self.deployments
        stored = {
            "id": f"{self._account_id(sub, rg, account)}/deployments/{dep}",
            "type": "Microsoft.CognitiveServices/accounts/deployments",
            "name": dep,
            "sku": sku,
            "properties": {
                "model": model,
                "versionUpgradeOption": body["properties"].get(
                    "versionUpgradeOption", "OnceNewDefaultVersionAvailable"
                ),
                "currentCapacity": sku["capacity"],
                "capabilities": {"chatCompletion": "true"},
                "raiPolicyName": body["properties"].get("raiPolicyName", "Microsoft.DefaultV2"),
                "provisioningState": "Succeeded",
                "rateLimits": [
                    {"key": "request", "renewalPeriod": 60, "count": sku["capacity"]},
                    {"key": "token", "renewalPeriod": 60, "count": sku["capacity"] * 1000},
                ],
            },
            "systemData": self._system_data(),
            "etag": _etag(),
        }
        self.deployments[key] = stored
        status = 200 if existed else 201
        if self.deployment_lro == "immediate" or existed:
            return JSONResponse(stored, status_code=status)
        stored["properties"]["provisioningState"] = "Creating"

        def finish() -> None:
            stored["properties"]["provisioningState"] = "Succeeded"

        operation = self._start_operation(finish, key)
        headers = {
            "Azure-AsyncOperation": self._operation_url(request, sub, region, operation),
            "Retry-After": "0",
        }
        return JSONResponse(stored, status_code=status, headers=headers)

    def _check_quota(
        self, sub: str, region: str, entry: dict[str, Any], capacity: int, exclude: tuple[str, ...]
    ) -> None:
        """Quota is per subscription, region, model and SKU, as Azure counts it."""
        used = 0
        for key, deployment in self.deployments.items():
            account = self.accounts.get(key[:3])
            same_place = key[0] == sub.lower() and account and normalize_region(account["location"]) == region
            same_model = deployment["properties"]["model"]["name"] == entry["name"]
            if key != exclude and same_place and same_model and deployment["sku"]["name"] == entry["sku"]:
                used += deployment["sku"]["capacity"]
        available = entry["quota"] - used
        if capacity > available:
            quota = f"Tokens Per Minute (thousands) - {entry['name']} - {entry['sku']}"
            # Wording of real InsufficientQuota answers (HTTP 400) as reported by azd and terraform users.
            raise ArmError(
                400,
                "InsufficientQuota",
                f"This operation require {capacity} new capacity in quota "
                f"{quota}, which is bigger than the current available capacity {available}. The current "
                f"quota usage is {used} and the quota limit is {entry['quota']} for quota {quota}.",
            )

    async def delete_deployment(
        self, request: Request, sub: str, rg: str, account: str, dep: str
    ) -> Response:
        self._account(sub, rg, account)
        key = _key(sub, rg, account, dep)
        if self.deployments.pop(key, None) is None:
            return Response(status_code=204)
        return Response(status_code=200)  # the recorded CLI run got 200 with an empty body [R]

    # ---------------------------------------------------------------- long-running operation status

    def _operation(self, op: str) -> Operation:
        operation = self.operations.get(op.lower())
        if operation is None:
            # Authored to ARM's documented error format.
            raise ArmError(
                404,
                "NotFound",
                f"The operation '{op}' was not found. Operations live only as long "
                "as the recorded endpoint that started them.",
            )
        return operation

    async def get_operation(self, request: Request, sub: str, loc: str, op: str) -> Response:
        operation = self._operation(op)
        self._observe(operation)
        body = {
            "id": f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}/"
            f"operationResults/{operation.id}",
            "name": operation.id,
            "status": operation.status,
            "startTime": operation.started,
        }
        if operation.ended:
            body["endTime"] = operation.ended
        return JSONResponse(body, headers={"Retry-After": "0"})

    # ---------------------------------------------------------------- role assignments

    def _check_scope_exists(self, scope: str) -> None:
        match = re.match(_RG + r"(?:" + _CS + r"/accounts/(?P<account>[^/]+))?$", scope, re.IGNORECASE)
        if match:
            if match["account"]:
                self._account(match["sub"], match["rg"], match["account"])
            else:
                self._group(match["sub"], match["rg"])

    async def put_role_assignment(self, request: Request, scope: str, name: str) -> Response:
        body = await self._json_body(request)
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise _missing_property("properties")
        if not GUID.match(name):
            # Authored to ARM's documented error format.
            raise ArmError(
                400,
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
            )
        if not GUID.match(str(properties.get("principalId", ""))):
            raise ArmError(
                400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment."
            )
        role_id = str(properties.get("roleDefinitionId", ""))
        if role_id.rsplit("/", 1)[-1].lower() not in BUILT_IN_ROLES:
            raise ArmError(
                400,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{role_id.rsplit('/', 1)[-1]}' does not exist.",
            )
        self._check_scope_exists(scope)
        triple = (scope.lower(), properties["principalId"].lower(), role_id.rsplit("/", 1)[-1].lower())
        existing = self.role_assignments.get(name.lower())
        if existing is not None:
            if _role_triple(existing) != triple:
                raise ArmError(
                    400,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            return JSONResponse(existing)
        if any(_role_triple(assignment) == triple for assignment in self.role_assignments.values()):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        stamp = self._timestamp()
        assignment = {
            "properties": {
                "roleDefinitionId": role_id,
                "principalId": properties["principalId"],
                "principalType": properties.get("principalType", "User"),
                "scope": scope,
                "condition": None,
                "conditionVersion": None,
                "createdOn": stamp,
                "updatedOn": stamp,
                "createdBy": None,
                "updatedBy": "learner@example.com",
                "delegatedManagedIdentityResourceId": None,
                "description": properties.get("description"),
            },
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
            "type": "Microsoft.Authorization/roleAssignments",
            "name": name,
        }
        self.role_assignments[name.lower()] = assignment
        return JSONResponse(assignment, status_code=201)

    async def get_role_assignment(self, request: Request, scope: str, name: str) -> Response:
        assignment = self.role_assignments.get(name.lower())
        if assignment is None or assignment["properties"]["scope"].lower() != scope.lower():
            raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return JSONResponse(assignment)

    async def delete_role_assignment(self, request: Request, scope: str, name: str) -> Response:
        assignment = self.role_assignments.pop(name.lower(), None)
        if assignment is None:
            return Response(status_code=204)
        return JSONResponse(assignment)

    async def list_role_assignments(self, request: Request, scope: str) -> Response:
        """Assignments at, above and below the scope, as ``roleAssignments`` list-for-scope answers."""
        found = [
            a
            for a in self.role_assignments.values()
            if _within(scope, a["properties"]["scope"]) or _within(a["properties"]["scope"], scope)
        ]
        return JSONResponse({"value": found})

    def _remove_role_assignments_under(self, scope: str) -> None:
        for name in [n for n, a in self.role_assignments.items() if _within(a["properties"]["scope"], scope)]:
            del self.role_assignments[name]


# -------------------------------------------------------------------- small helpers


def _within(scope: str, parent: str) -> bool:
    """True if ``scope`` is ``parent`` or lies under it (``/rg-a`` is not under ``/rg``)."""
    scope, parent = scope.lower().rstrip("/"), parent.lower().rstrip("/")
    return scope == parent or scope.startswith(parent + "/")


def _challenge(description: str) -> dict[str, str]:
    """ARM's 401 answers carry a ``WWW-Authenticate`` challenge (without claims, so no CAE retry)."""
    return {
        "WWW-Authenticate": f'Bearer authorization_uri="https://login.microsoftonline.com/common", '
        f'error="invalid_token", error_description="{description}"'
    }


def _etag() -> str:
    return f'"{uuid.uuid4()}"'


def _group_being_deleted(rg: str) -> ArmError:
    return ArmError(
        409,
        "ResourceGroupBeingDeleted",
        f"The resource group '{rg}' is in deprovisioning state and cannot perform this operation.",
    )


def _check_group_name(rg: str) -> None:
    invalid = sorted({c for c in rg if not (c.isalnum() or c in "-._()")})
    if invalid:
        # Wording as ARM's InvalidResourceGroup answer reports it.
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{rg}' has these "
            f"invalid characters: '{''.join(invalid)}'. The name can only contain letters, digits, "
            "'-', '.', '_', '(' and ')'.",
        )
    if len(rg) > 90 or rg.endswith("."):
        # Authored to ARM's documented error format.
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{rg}' is invalid: "
            "resource group names allow up to 90 characters and cannot end in a period.",
        )


def _missing_property(name: str) -> ArmError:
    if name == "location":
        return ArmError(400, "LocationRequired", "The location property is required for this definition.")
    # Authored after the deserializer messages ARM returns for malformed bodies.
    return ArmError(
        400,
        "InvalidRequestContent",
        "The request content was invalid and could not be "
        f"deserialized: 'Required property '{name}' is missing or is not of the expected type.'.",
    )


def _role_triple(assignment: dict[str, Any]) -> tuple[str, str, str]:
    properties = assignment["properties"]
    role = properties["roleDefinitionId"].rsplit("/", 1)[-1].lower()
    return properties["scope"].lower(), properties["principalId"].lower(), role


def _model_body(entry: dict[str, Any]) -> dict[str, Any]:
    """One model as ``list-models`` describes it (``AccountModel`` in the SDK)."""
    return {
        "format": entry["format"],
        "name": entry["name"],
        "version": entry["version"],
        "isDefaultVersion": True,
        "lifecycleStatus": "GenerallyAvailable",
        "capabilities": {"chatCompletion": "true"},
        "maxCapacity": entry["quota"],
        "skus": [
            {
                "name": entry["sku"],
                "usageName": f"AIServices.{entry['sku']}.{entry['name']}",
                "capacity": {"minimum": 1, "maximum": entry["quota"], "step": 1, "default": 1},
            }
        ],
    }


def _catalog_entry(model: dict[str, str]) -> dict[str, Any]:
    for entry in MODEL_CATALOG:
        if (entry["format"], entry["name"].lower(), entry["version"]) == (
            model["format"],
            model["name"].lower(),
            model["version"],
        ):
            return entry
    # Authored to ARM's documented error format.
    raise ArmError(
        400,
        "DeploymentModelNotSupported",
        f"The model 'Format: {model['format']}, Name: "
        f"{model['name']}, Version: {model['version']}' of account deployment is not supported. "
        "List the models this account offers with `az cognitiveservices account list-models`.",
    )


def _deployment_request(body: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Read ``properties.model`` and ``sku`` from a deployment PUT, rejecting malformed bodies with a 400."""
    properties = body.get("properties")
    model = properties.get("model") if isinstance(properties, dict) else None
    if not isinstance(model, dict):
        raise _missing_property("properties.model")
    for field in ("format", "name"):
        if not isinstance(model.get(field), str) or not model[field]:
            raise _missing_property(f"properties.model.{field}")
    model = {"format": model["format"], "name": model["name"], "version": str(model.get("version") or "1")}
    sku = body.get("sku")
    if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
        raise _missing_property("sku.name")
    capacity = sku.get("capacity", 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        # Authored to ARM's documented error format.
        raise ArmError(
            400,
            "InvalidCapacity",
            f"The capacity '{capacity}' is invalid: use a whole number of at "
            "least 1 (units of 1,000 tokens per minute).",
        )
    return model, {"name": sku["name"], "capacity": capacity}
