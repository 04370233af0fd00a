"""The recorded endpoint's management plane, driven by the real Azure management SDKs over HTTPS.

A Starlette app holding only ``ManagementPlane().routes`` runs in a ``BackgroundServer`` with a throwaway
certificate authority: azure-core refuses bearer tokens over plain http, and the clients trust the authority
through ``connection_verify=<ca.pem>``. Tokens come from ``RecordedCredential(key=<the server's key>)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Account, AccountProperties, Deployment, Sku
from starlette.applications import Starlette

from helpers import provisioning
from recorded_endpoint.background import BackgroundServer
from recorded_endpoint.constants import DEFAULT_API_KEY
from recorded_endpoint.identity import RecordedCredential, sign_token
from recorded_endpoint.management import MAX_LOGGED_CALLS, RECORDED_API_KEYS, ManagementPlane
from recorded_endpoint.management.state import LIMITS

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "rg-deepseek"
ACCOUNT = "myfoundry"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
ACCOUNT_PATH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.CognitiveServices/accounts"
V4_PRO = {"format": "DeepSeek", "name": "DeepSeek-V4-Pro", "version": "2026-04-23"}


def token_header(key: str = DEFAULT_API_KEY, audience: str = "management.azure.com") -> dict[str, str]:
    """What azure-core sends with a recorded credential: a token signed with the server's key."""
    return {"Authorization": f"Bearer {sign_token(key, audience)}"}


@dataclass
class ArmServer:
    plane: ManagementPlane
    base_url: str
    ca_path: str

    def http(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, verify=self.ca_path, timeout=20, **kwargs)

    def clients(self, credential: object | None = None, **options) -> tuple:
        credential = credential or RecordedCredential(key=self.plane.api_key)
        options = {"polling_interval": 0, "connection_verify": self.ca_path, **options}
        return (
            provisioning.resource_client(SUB, credential, self.base_url, **options),
            provisioning.cognitive_client(SUB, credential, self.base_url, **options),
            provisioning.authorization_client(SUB, credential, self.base_url, **options),
        )


def serve_plane(plane: ManagementPlane, workdir: Path | None = None) -> Iterator[ArmServer]:
    """Run the plane on uvicorn with TLS on a free loopback port until the generator is closed.

    azure-core refuses bearer tokens over plain http, so the SDK clients trust the server's throwaway
    certificate authority through ``connection_verify``."""
    with BackgroundServer(Starlette(routes=plane.routes), tls=True) as server:
        yield ArmServer(plane, server.url, str(server.certificates.ca_bundle))


@pytest.fixture(scope="module")
def arm_server_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArmServer]:
    yield from serve_plane(ManagementPlane(), tmp_path_factory.mktemp("arm"))


@pytest.fixture
def arm(arm_server_module: ArmServer) -> ArmServer:
    arm_server_module.plane.reset()
    arm_server_module.plane.deployment_lro = "async-operation"
    return arm_server_module


def _ready_account(arm: ArmServer) -> tuple:
    resources, cognitive, authorization = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    return resources, cognitive, authorization


def _error(arm: ArmServer, method: str, path: str, **kwargs) -> tuple[int, dict]:
    with arm.http() as http:
        response = http.request(method, path, headers=kwargs.pop("headers", token_header()), **kwargs)
    return response.status_code, response.json()


# ------------------------------------------------------------------- authentication


def test_missing_authorization_header_is_401_authentication_failed(arm: ArmServer) -> None:
    status, body = _error(arm, "GET", f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01", headers={})
    assert status == 401
    assert body["error"]["code"] == "AuthenticationFailed"
    assert "'Authorization' header is missing" in body["error"]["message"]


def test_token_that_is_not_a_token_is_401_invalid_token(arm: ArmServer) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    status, body = _error(arm, "GET", f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01", headers=headers)
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")
    headers = {"Authorization": "Basic abc"}
    status, body = _error(arm, "GET", f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01", headers=headers)
    assert (status, body["error"]["code"]) == (401, "AuthenticationFailed")


def test_token_for_the_wrong_audience_is_refused_through_the_sdk(arm: ArmServer) -> None:
    client = CognitiveServicesManagementClient(
        RecordedCredential(key=arm.plane.api_key),
        SUB,
        base_url=arm.base_url,
        connection_verify=arm.ca_path,
        credential_scopes=["https://cognitiveservices.azure.com/.default"],
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        client.accounts.get(RG, ACCOUNT)
    assert caught.value.status_code == 401
    assert caught.value.error.code == "InvalidAuthenticationTokenAudience"
    assert "https://cognitiveservices.azure.com" in caught.value.error.message
    assert arm.plane.accounts == {}


# ------------------------------------------------------------------- resource groups


def test_resource_group_create_get_list_exists_and_case_insensitive_path(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    created = provisioning.create_resource_group(resources, RG, "East US 2", tags={"course": "deepseek"})
    assert (created.name, created.location, created.tags) == (RG, "eastus2", {"course": "deepseek"})
    assert resources.resource_groups.get(RG.upper()).name == RG  # ARM names are case-insensitive
    assert [g.name for g in resources.resource_groups.list()] == [RG]
    assert resources.resource_groups.check_existence(RG) is True
    assert resources.resource_groups.check_existence("other") is False
    with arm.http() as http:
        upper = http.get(
            f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/{RG}?api-version=2025-04-01",
            headers=token_header(),
        )
    assert upper.status_code == 200 and upper.json()["name"] == RG


def test_resource_group_delete_is_a_location_lro_that_is_polled(arm: ArmServer) -> None:
    resources, cognitive, _ = _ready_account(arm)
    poller = provisioning.delete_resource_group(resources, RG, confirm=RG, wait=False)
    poller.result()
    polls = [c for c in arm.plane.calls if c.startswith(f"GET /subscriptions/{SUB}/operationresults/")]
    assert len(polls) == 2  # one "still running" 202, then the 200
    assert resources.resource_groups.check_existence(RG) is False
    assert arm.plane.accounts == {}  # the account went with its group
    with pytest.raises(ResourceNotFoundError) as caught:
        resources.resource_groups.get(RG)
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_resource_group_in_another_location_is_409(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    with pytest.raises(ResourceExistsError) as caught:
        provisioning.create_resource_group(resources, RG, "westus")
    assert caught.value.error.code == "InvalidResourceGroupLocation"


# ------------------------------------------------------------------- accounts


def test_account_create_answers_201_with_async_operation_on_the_mock_host(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    path = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"
        "?api-version=2025-09-01"
    )
    body = {
        "kind": "AIServices",
        "sku": {"name": "S0"},
        "location": "eastus2",
        "properties": {"customSubDomainName": ACCOUNT},
    }
    token = token_header()
    with arm.http() as http:
        created = http.put(path, json=body, headers=token)
        operation_url = created.headers["Azure-AsyncOperation"]
        first, second = http.get(operation_url, headers=token), http.get(operation_url, headers=token)
    assert created.status_code == 201
    assert created.json()["properties"]["provisioningState"] == "Creating"
    assert operation_url.startswith(arm.base_url + "/subscriptions/")
    assert created.headers["Retry-After"] == "0"
    assert (first.json()["status"], second.json()["status"]) == ("Creating", "Succeeded")
    assert first.headers["Retry-After"] == "0" and "endTime" in second.json()


def test_account_lro_through_the_sdk_polls_and_points_endpoints_at_the_mock(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    poller = provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2", wait=False)
    account = poller.result()
    polls = [c for c in arm.plane.calls if "/operationResults/" in c]
    assert len(polls) == 2
    assert account.properties.provisioning_state == "Succeeded"
    assert (account.kind, account.sku.name, account.properties.custom_sub_domain_name) == (
        "AIServices",
        "S0",
        ACCOUNT,
    )
    assert account.properties.endpoint == arm.base_url + "/"
    assert account.properties.endpoints["Azure AI Model Inference API"] == arm.base_url + "/"
    assert [a.name for a in cognitive.accounts.list_by_resource_group(RG)] == [ACCOUNT]


def test_missing_account_is_404_resource_not_found(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    with pytest.raises(ResourceNotFoundError) as caught:
        cognitive.accounts.get(RG, "nosuchaccount")
    assert caught.value.error.code == "ResourceNotFound"
    assert "Microsoft.CognitiveServices/accounts/nosuchaccount" in caught.value.error.message


def test_account_in_missing_group_is_404_resource_group_not_found(arm: ArmServer) -> None:
    _, cognitive, _ = arm.clients()
    with pytest.raises(ResourceNotFoundError) as caught:
        provisioning.create_foundry_account(cognitive, "no-such-group", ACCOUNT, "eastus2")
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_subdomain_used_in_another_group_is_409_custom_domain_in_use(arm: ArmServer) -> None:
    resources, cognitive, _ = _ready_account(arm)
    provisioning.create_resource_group(resources, "rg-second", "eastus2")
    with pytest.raises(ResourceExistsError) as caught:
        provisioning.create_foundry_account(cognitive, "rg-second", ACCOUNT, "eastus2")
    assert caught.value.status_code == 409
    assert caught.value.error.code == "CustomDomainInUse"
    assert f"'{ACCOUNT}' is not available" in caught.value.error.message


def test_same_account_in_another_region_is_409_invalid_resource_location(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    with pytest.raises(ResourceExistsError) as caught:
        provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "swedencentral")
    assert caught.value.error.code == "InvalidResourceLocation"


def test_list_keys_gives_placeholders_and_refuses_when_local_auth_is_off(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    keys = cognitive.accounts.list_keys(RG, ACCOUNT)
    assert (keys.key1, keys.key2) == RECORDED_API_KEYS
    provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2", disable_local_auth=True)
    with pytest.raises(HttpResponseError) as caught:
        cognitive.accounts.list_keys(RG, ACCOUNT)
    assert caught.value.status_code == 400
    assert "disableLocalAuth" in caught.value.error.message


def test_models_are_offered_in_listed_regions_only(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    offered = [m.model.name for m in cognitive.models.list("eastus2")]
    assert {"DeepSeek-R1", "DeepSeek-V4-Pro", "DeepSeek-V4-Flash"} <= set(offered)
    assert [m.model.name for m in cognitive.models.list("northeurope")] == []
    account_models = list(cognitive.accounts.list_models(RG, ACCOUNT))
    v4 = next(m for m in account_models if m.name == "DeepSeek-V4-Pro")
    assert (v4.format, v4.version) == ("DeepSeek", "2026-04-23")
    assert [s.name for s in v4.skus] == ["GlobalStandard", "DataZoneStandard"]  # eastus2 is in the US data zone
    with pytest.raises(HttpResponseError) as caught:
        list(cognitive.models.list("atlantis"))
    assert caught.value.error.code == "LocationNotAvailableForResourceType"


# ------------------------------------------------------------------- deployments


def _v4(capacity: int = 1, sku: str = "GlobalStandard", model: dict | None = None) -> dict:
    return {"sku": {"name": sku, "capacity": capacity}, "properties": {"model": model or V4_PRO}}


def test_deployment_async_form_polls_the_operation(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    calls_before = len(arm.plane.calls)
    deployment = cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "DeepSeek-R1", _v4()).result()
    new_calls = arm.plane.calls[calls_before:]
    assert sum("/operationResults/" in c for c in new_calls) == 2
    assert new_calls[-1].endswith("/deployments/DeepSeek-R1")  # final GET of the resource
    model = deployment.properties.model  # the deployment's name is free; it reports the model it runs
    assert (deployment.name, model.name, model.version) == ("DeepSeek-R1", "DeepSeek-V4-Pro", "2026-04-23")
    assert deployment.properties.provisioning_state == "Succeeded"
    assert (deployment.sku.name, deployment.properties.model.format) == ("GlobalStandard", "DeepSeek")


def test_deployment_immediate_form_returns_without_polling(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    arm.plane.deployment_lro = "immediate"
    calls_before = len(arm.plane.calls)
    deployment = cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "r1", _v4()).result()
    assert len(arm.plane.calls) - calls_before == 1
    assert deployment.properties.provisioning_state == "Succeeded"


def test_missing_deployment_is_404_and_delete_of_missing_is_204(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    with pytest.raises(ResourceNotFoundError) as caught:
        cognitive.deployments.get(RG, ACCOUNT, "nope")
    assert caught.value.error.code == "NotFound"
    assert "/deployments/nope' cannot be found" in caught.value.error.message
    cognitive.deployments.begin_delete(RG, ACCOUNT, "nope").result()  # ARM answers 204: nothing to delete


def test_capacity_over_quota_is_400_insufficient_quota(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "first", _v4(600)).result()
    with pytest.raises(HttpResponseError) as caught:
        cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "second", _v4(500))
    assert caught.value.status_code == 400
    assert caught.value.error.code == "InsufficientQuota"
    assert "current available capacity 400" in caught.value.error.message
    assert "quota limit is 1000" in caught.value.error.message
    # Updating the first deployment frees its own capacity before counting.
    cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "first", _v4(1000)).result()


def test_region_or_sku_without_the_model_is_400(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "northeurope")
    account = Account(
        kind="AIServices",
        sku=Sku(name="S0"),
        location="northeurope",
        properties=AccountProperties(custom_sub_domain_name="north-account"),
    )
    cognitive.accounts.begin_create(RG, "north-account", account).result()
    with pytest.raises(HttpResponseError) as caught:
        cognitive.deployments.begin_create_or_update(RG, "north-account", "v4", _v4())
    assert caught.value.error.code == "InvalidResourceProperties"
    assert "region 'northeurope'" in caught.value.error.message
    provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    with pytest.raises(HttpResponseError) as caught:
        cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "r1", _v4(sku="Standard"))
    assert caught.value.error.code == "InvalidResourceProperties"
    unknown = Deployment.from_dict(
        {
            "sku": {"name": "GlobalStandard", "capacity": 1},
            "properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-R9"}},
        }
    )
    with pytest.raises(HttpResponseError) as caught:
        cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "r9", unknown)
    assert caught.value.error.code == "DeploymentModelNotSupported"


def test_deployment_on_an_account_still_creating_is_409(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    body = b'{"kind": "AIServices", "sku": {"name": "S0"}, "location": "eastus2"}'
    status, _ = _error(arm, "PUT", f"{ACCOUNT_PATH}/{ACCOUNT}?api-version=2025-09-01", content=body)
    assert status == 201  # created, and nobody polls it: it stays "Creating"
    with pytest.raises(ResourceExistsError) as caught:
        cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "r1", _v4())
    assert caught.value.error.code == "AccountProvisioningStateInvalid"


# ------------------------------------------------------------------- role assignments


def _role(role_id: str = provisioning.COGNITIVE_SERVICES_USER_ROLE_ID, principal: str = PRINCIPAL):
    return RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
        principal_id=principal,
        principal_type="User",
    )


def test_role_assignment_create_duplicate_and_bad_input(arm: ArmServer) -> None:
    _, _, authorization = _ready_account(arm)
    scope = provisioning.account_scope(SUB, RG, ACCOUNT)
    created = authorization.role_assignments.create(scope, "aaaaaaaa-0000-0000-0000-000000000001", _role())
    assert created.scope == scope and created.principal_id == PRINCIPAL
    assert created.role_definition_id.endswith("a97b65f3-24c7-4388-baec-2e87135dc908")
    assert authorization.role_assignments.get(scope, created.name).name == created.name
    with pytest.raises(ResourceExistsError) as caught:
        authorization.role_assignments.create(scope, "aaaaaaaa-0000-0000-0000-000000000002", _role())
    assert caught.value.error.code == "RoleAssignmentExists"
    with pytest.raises(HttpResponseError) as caught:
        authorization.role_assignments.create(scope, "not-a-guid", _role())
    assert caught.value.error.code == "InvalidRoleAssignmentId"
    with pytest.raises(HttpResponseError) as caught:
        authorization.role_assignments.create(
            scope,
            "aaaaaaaa-0000-0000-0000-000000000003",
            _role(role_id="00000000-1111-2222-3333-444444444444"),
        )
    assert caught.value.error.code == "RoleDefinitionDoesNotExist"
    with pytest.raises(ResourceNotFoundError):
        authorization.role_assignments.create(
            scope.replace(ACCOUNT, "ghost"), "aaaaaaaa-0000-0000-0000-000000000004", _role()
        )


def test_deleting_an_account_removes_only_its_own_role_assignments(arm: ArmServer) -> None:
    _, cognitive, authorization = _ready_account(arm)
    provisioning.create_foundry_account(cognitive, RG, ACCOUNT + "2", "eastus2")
    provisioning.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT, PRINCIPAL)
    kept = provisioning.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT + "2", PRINCIPAL)
    provisioning.delete_account(cognitive, RG, ACCOUNT)
    assert [a["name"] for a in arm.plane.role_assignments.values()] == [kept.name]
    scope = provisioning.account_scope(SUB, RG, ACCOUNT + "2")
    assert [a.name for a in authorization.role_assignments.list_for_scope(scope)] == [kept.name]


def test_role_assignment_body_without_properties_is_400(arm: ArmServer) -> None:
    _ready_account(arm)
    path = (
        f"{provisioning.account_scope(SUB, RG, ACCOUNT)}/providers/Microsoft.Authorization/roleAssignments/"
        "aaaaaaaa-0000-0000-0000-000000000009?api-version=2022-04-01"
    )
    for body in (b"{}", b'{"properties": "reader"}'):
        status, answer = _error(arm, "PUT", path, content=body)
        assert (status, answer["error"]["code"]) == (400, "InvalidRequestContent")


# ------------------------------------------------------------------- bad input never makes a 500


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code"),
    [
        ("GET", f"/subscriptions/{SUB}/resourcegroups", None, 400, "MissingApiVersionParameter"),
        (
            "GET",
            f"/subscriptions/{SUB}/resourcegroups?api-version=latest",
            None,
            400,
            "InvalidApiVersionParameter",
        ),
        (
            "GET",
            "/subscriptions/not-a-guid/resourcegroups?api-version=2025-04-01",
            None,
            400,
            "InvalidSubscriptionId",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01",
            b"{not json",
            400,
            "InvalidRequestContent",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01",
            b"[1, 2]",
            400,
            "InvalidRequestContent",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01",
            b"{}",
            400,
            "LocationRequired",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01",
            b'{"location": "mars"}',
            400,
            "LocationNotAvailableForResourceType",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/bad%20name?api-version=2025-04-01",
            b'{"location": "eastus"}',
            400,
            "InvalidResourceGroup",
        ),
        (
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/ends-with.?api-version=2025-04-01",
            b'{"location": "eastus"}',
            400,
            "InvalidResourceGroup",
        ),
        (
            "GET",
            f"/subscriptions/{SUB}/resourcegroups/nope?api-version=2025-04-01",
            None,
            404,
            "ResourceGroupNotFound",
        ),
        (
            "DELETE",
            f"/subscriptions/{SUB}/resourcegroups/nope?api-version=2025-04-01",
            None,
            404,
            "ResourceGroupNotFound",
        ),
        (
            "GET",
            f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version=2024-01-01",
            None,
            404,
            "NotFound",
        ),
        (
            "PATCH",
            f"/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01",
            b"{}",
            405,
            "MethodNotAllowed",
        ),
        (
            "GET",
            f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/operationResults/"
            "unknown?api-version=2017-04-18",
            None,
            404,
            "NotFound",
        ),
    ],
)
def test_bad_requests_get_arm_shaped_4xx(
    arm: ArmServer, method: str, path: str, content: bytes | None, status: int, code: str
) -> None:
    got_status, body = _error(arm, method, path, content=content)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"sku": {"name": "S0"}, "location": "eastus2"}',
        b'{"kind": "AIServices", "location": "eastus2"}',
        b'{"kind": "AIServices", "sku": "S0", "location": "eastus2"}',
        b'{"kind": 5, "sku": {"name": "S0"}, "location": "eastus2"}',
        b'{"kind": "AIServices", "sku": {"name": "S0"}, "location": "eastus2", "properties": []}',
    ],
)
def test_malformed_account_bodies_are_400(arm: ArmServer, body: bytes) -> None:
    resources, _, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    status, answer = _error(arm, "PUT", f"{ACCOUNT_PATH}/acct?api-version=2025-09-01", content=body)
    assert (status, answer["error"]["code"]) == (400, "InvalidRequestContent")


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"properties": {"model": "DeepSeek-R1"}, "sku": {"name": "GlobalStandard"}}',
        b'{"properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-R1"}}}',
        b'{"properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-R1"}}, '
        b'"sku": {"name": "GlobalStandard", "capacity": 0}}',
        b'{"properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-R1"}}, '
        b'"sku": {"name": "GlobalStandard", "capacity": "ten"}}',
    ],
)
def test_malformed_deployment_bodies_are_400(arm: ArmServer, body: bytes) -> None:
    _ready_account(arm)
    status, answer = _error(arm, "PUT", f"{ACCOUNT_PATH}/{ACCOUNT}/deployments/r1?api-version=2025-09-01", content=body)
    assert status == 400
    assert answer["error"]["code"] in {"InvalidRequestContent", "InvalidCapacity"}


def test_reset_forgets_everything(arm: ArmServer) -> None:
    _ready_account(arm)
    assert arm.plane.accounts and arm.plane.calls
    arm.plane.reset()
    assert (arm.plane.groups, arm.plane.accounts, arm.plane.operations, arm.plane.calls) == ({}, {}, {}, [])
    assert arm.plane.learners == {}


def test_plane_rejects_an_unknown_lro_form() -> None:
    with pytest.raises(ValueError, match="deployment_lro"):
        ManagementPlane(deployment_lro="sometimes")


# ------------------------------------------------------------------- who gets in, and what they can read


@pytest.fixture(scope="module")
def keyed_arm() -> Iterator[ArmServer]:
    """The plane of a room server: run with a key of its own, not the public default."""
    yield from serve_plane(ManagementPlane(api_key="room-key-Zq81"))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer recorded-entra:management.azure.com",  # the old unsigned form
        f"Bearer {sign_token(DEFAULT_API_KEY, 'management.azure.com')}",  # signed with the public key
        f"Bearer {sign_token('room-key-Zq81', 'management.azure.com', expires_on=1)}",  # expired
        "Bearer room-key-Zq81",  # the key itself is not a token
    ],
)
def test_a_keyed_server_refuses_every_token_not_signed_with_its_key(keyed_arm: ArmServer, authorization: str) -> None:
    status, body = _error(
        keyed_arm,
        "GET",
        f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01",
        headers={"Authorization": authorization},
    )
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")


def test_list_keys_on_a_keyed_server_gives_fake_keys_never_the_room_key(keyed_arm: ArmServer) -> None:
    keyed_arm.plane.reset()
    _, cognitive, _ = keyed_arm.clients()
    resources = keyed_arm.clients()[0]
    provisioning.create_resource_group(resources, RG, "eastus2")
    provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    keys = cognitive.accounts.list_keys(RG, ACCOUNT)
    assert keys.key1.startswith("recorded-fake-key1-") and keys.key2.startswith("recorded-fake-key2-")
    assert "room-key" not in keys.key1 + keys.key2
    assert cognitive.accounts.list_keys(RG, ACCOUNT).key1 == keys.key1  # stable for the server's lifetime


def test_requests_without_a_valid_token_are_not_logged_and_the_log_is_bounded(arm: ArmServer) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01"
    with arm.http() as http:
        for _ in range(5):
            assert http.get(path).status_code == 401
        assert arm.plane.calls == []
        for _ in range(3):
            assert http.get(path, headers=token_header()).status_code == 200
    assert arm.plane.calls == [f"GET /subscriptions/{SUB}/resourcegroups"] * 3
    assert arm.plane._calls.maxlen == MAX_LOGGED_CALLS


# ------------------------------------------------------------------- every learner has their own resources


def test_one_learners_clean_up_leaves_another_learners_group_alone(arm: ArmServer) -> None:
    ada = arm.clients(headers={"x-ms-client-principal-name": "ada"})
    bob = arm.clients(headers={"x-ms-client-principal-name": "bob"})
    for resources, cognitive, _ in (ada, bob):
        provisioning.create_resource_group(resources, RG, "eastus2")
        provisioning.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")  # the same name: no conflict
    provisioning.delete_resource_group(bob[0], RG, confirm=RG)
    assert bob[0].resource_groups.check_existence(RG) is False
    assert ada[0].resource_groups.get(RG).name == RG
    assert [a.name for a in ada[1].accounts.list_by_resource_group(RG)] == [ACCOUNT]


def test_without_a_header_each_client_address_is_its_own_learner(arm: ArmServer) -> None:
    group = f"/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2025-04-01"
    second = httpx.HTTPTransport(verify=arm.ca_path, local_address="127.0.0.2")
    with arm.http() as first_learner, arm.http(transport=second) as second_learner:
        created = first_learner.put(group, json={"location": "eastus2"}, headers=token_header())
        assert created.status_code == 201
        assert second_learner.get(group, headers=token_header()).status_code == 404
        assert first_learner.get(group, headers=token_header()).status_code == 200
    assert sorted(arm.plane.learners) == ["127.0.0.1", "127.0.0.2"]


def test_a_learner_keeps_a_bounded_number_of_resource_groups(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    for n in range(LIMITS["resource groups"]):
        provisioning.create_resource_group(resources, f"rg-{n}", "eastus2")
    with pytest.raises(ResourceExistsError) as caught:
        provisioning.create_resource_group(resources, "rg-one-too-many", "eastus2")
    assert caught.value.error.code == "ResourceCountExceedsLimit"
    provisioning.create_resource_group(resources, "rg-0", "eastus2", tags={"updated": "yes"})  # updates still pass


# ------------------------------------------------------------------- the catalogue and retired models


def test_catalogue_reports_lifecycle_deprecation_and_replacement(arm: ArmServer) -> None:
    _, cognitive, _ = arm.clients()
    listed = {(m.model.name, m.model.version): m for m in cognitive.models.list("swedencentral")}
    assert all((m.kind, m.sku_name) == ("AIServices", "S0") for m in listed.values())
    r1 = listed[("DeepSeek-R1", "1")].model
    assert r1.lifecycle_status == "Deprecated"  # the SDK's enum: "deprecated, also known as retired"
    assert r1.deprecation.inference.startswith("2026-08-13")
    assert (r1.replacement_config.target_model_name, r1.replacement_config.target_model_version) == (
        "DeepSeek-V4-Pro",
        "2026-04-23",
    )
    v4 = listed[("DeepSeek-V4-Pro", "2026-04-23")].model
    assert (v4.lifecycle_status, v4.deprecation.inference[:10], v4.replacement_config) == (
        "GenerallyAvailable",
        "2028-02-20",
        None,
    )
    assert [s.name for s in v4.skus] == ["GlobalStandard"]  # Sweden Central is outside the US data zone
    assert v4.skus[0].usage_name == "AIServices.GlobalStandard.DeepSeek-V4-Pro"
    assert v4.skus[0].deprecation_date.date().isoformat() == "2028-02-20"
    assert listed[("DeepSeek-V4-Flash-0731", "2026-07-31")].model.lifecycle_status == "Preview"
    v32 = listed[("DeepSeek-V3.2", "1")].model
    assert (v32.lifecycle_status, v32.deprecation.deprecation_status) == ("GenerallyAvailable", "Tentative")


def test_deploying_retired_deepseek_r1_is_refused_as_azure_refuses_it(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)
    r1 = {"format": "DeepSeek", "name": "DeepSeek-R1", "version": "1"}
    with pytest.raises(HttpResponseError) as caught:
        cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "DeepSeek-R1", _v4(model=r1))
    assert caught.value.status_code == 400
    assert caught.value.error.code == "ServiceModelDeprecated"
    assert caught.value.error.message == (
        "The model 'Format:DeepSeek,Name:DeepSeek-R1,Version:1' has been deprecated since 08/13/2026 00:00:00."
    )
    assert list(cognitive.deployments.list(RG, ACCOUNT)) == []


def test_before_its_retirement_date_deepseek_r1_deploys() -> None:
    """Lifecycle follows the plane's clock: on 2026-08-01 R1 was not yet retired."""
    plane = ManagementPlane(now=lambda: datetime(2026, 8, 1, tzinfo=UTC))
    for arm in serve_plane(plane):
        _, cognitive, _ = _ready_account(arm)
        assert next(
            m for m in cognitive.models.list("eastus2") if m.model.name == "DeepSeek-R1"
        ).model.lifecycle_status == ("GenerallyAvailable")
        r1 = {"format": "DeepSeek", "name": "DeepSeek-R1", "version": "1"}
        deployment = cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "r1", _v4(model=r1)).result()
        assert deployment.properties.model.name == "DeepSeek-R1"


def test_data_zone_sku_only_where_the_zone_is(arm: ArmServer) -> None:
    _, cognitive, _ = _ready_account(arm)  # eastus2: in the US data zone
    zoned = cognitive.deployments.begin_create_or_update(RG, ACCOUNT, "v4-dz", _v4(sku="DataZoneStandard")).result()
    assert zoned.sku.name == "DataZoneStandard"
    omitted = {"format": "DeepSeek", "name": "DeepSeek-V4-Pro"}  # no version: the catalogue's default
    assert cognitive.deployments.begin_create_or_update(
        RG, ACCOUNT, "v4", _v4(model=omitted)
    ).result().properties.model.version == ("2026-04-23")


def test_every_answer_carries_arms_headers_and_its_own_request_id(arm: ArmServer) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups?api-version=2025-04-01"
    with arm.http() as http:
        first, second, refused = (
            http.get(path, headers=token_header()),
            http.get(path, headers=token_header()),
            http.get(path),
        )
    for response in (first, second, refused):
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert (response.headers["cache-control"], response.headers["x-content-type-options"]) == (
            "no-cache",
            "nosniff",
        )
        assert response.headers["x-ms-correlation-request-id"] == response.headers["x-ms-request-id"]
    assert first.headers["x-ms-request-id"] != second.headers["x-ms-request-id"]
    assert refused.status_code == 401


def test_a_second_delete_of_a_group_being_deleted_answers_the_same_operation(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    provisioning.create_resource_group(resources, RG, "eastus2")
    path = f"/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2025-04-01"
    with arm.http() as http:
        first, second = http.delete(path, headers=token_header()), http.delete(path, headers=token_header())
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.headers["location"] == second.headers["location"]
    assert len(arm.plane.operations) == 1
