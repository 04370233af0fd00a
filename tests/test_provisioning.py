"""``helpers.provisioning`` against the recorded endpoint's management plane, with the real SDKs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from test_management import ACCOUNT, PRINCIPAL, RG, SUB, ArmServer, serve_plane

from helpers import provisioning as p
from recorded_endpoint.identity import RecordedCredential
from recorded_endpoint.management import RECORDED_API_KEYS, ManagementPlane


@pytest.fixture(scope="module")
def arm_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArmServer]:
    yield from serve_plane(ManagementPlane(), tmp_path_factory.mktemp("arm-provisioning"))


@pytest.fixture
def arm(arm_module: ArmServer) -> ArmServer:
    arm_module.plane.reset()
    return arm_module


# ------------------------------------------------------------------- validation, before any request


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-guid", r"subscription_id must be a GUID .*'not-a-guid'.*az account show"),
        ("", r"subscription_id must be a GUID"),
        (None, r"subscription_id must be a GUID"),
    ],
)
def test_subscription_id_must_be_a_guid(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p.validate_subscription_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", r"Resource group name must be 1-90 characters long"),
        ("r" * 91, r"Resource group name must be 1-90 characters long"),
        (
            "my group",
            r"may contain only letters, digits, '\.', '_', '-', '\(' and '\)'; 'my group' contains ' '",
        ),
        ("rg/1", r"contains '/'"),
        ("rg.", r"Resource group name cannot end with a period: 'rg\.'"),
    ],
)
def test_resource_group_name_rules(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p.validate_resource_group_name(name)


@pytest.mark.parametrize("name", ["r", "rg-deepseek_(course).1", "r" * 90, "grupo-ñandú"])
def test_valid_resource_group_names_pass(name: str) -> None:
    assert p.validate_resource_group_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a", r"Account name must be 2-64 characters long \(it becomes the subdomain"),
        ("a" * 65, r"Account name must be 2-64 characters long"),
        (
            "my_foundry",
            r"may contain only letters, digits and hyphens \(it becomes a subdomain\); 'my_foundry' "
            r"contains '_'",
        ),
        ("my.foundry", r"contains '\.'"),
        ("-foundry", r"Account name must start and end with a letter or digit; got '-foundry'"),
        ("foundry-", r"must start and end with a letter or digit"),
    ],
)
def test_account_name_rules(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p.validate_account_name(name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("d", r"Deployment name must be 2-64 characters long"),
        ("d" * 65, r"Deployment name must be 2-64 characters long"),
        ("DeepSeek R1", r"may contain only letters, digits, '_', '\.' and '-'; 'DeepSeek R1' contains ' '"),
        ("-r1", r"Deployment name must start with a letter or digit; got '-r1'"),
    ],
)
def test_deployment_name_rules(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p.validate_deployment_name(name)


def test_region_check_normalizes_and_names_the_fix() -> None:
    assert p.check_region("East US 2") == "eastus2"
    assert p.check_region("swedencentral") == "swedencentral"
    with pytest.raises(
        ValueError,
        match=r"DeepSeek-V4-Pro \(Global Standard\) is not offered in region 'francesouth'\. Pick one of: "
        r"australiaeast, .*model list` of 2026-08-05.*az cognitiveservices model list --location francesouth",
    ) as caught:
        p.check_region("francesouth")
    assert "Did you mean" not in str(caught.value)  # francesouth is a region, just not one with DeepSeek-V4-Pro
    assert p.check_region("centralus") == "centralus"  # V4-Pro is offered there; DeepSeek-R1 was not
    with pytest.raises(ValueError, match="DeepSeek-R1 .*2025-09-15"):
        p.check_region("centralus", "DeepSeek-R1")
    assert p.check_region("Mars Central", "DeepSeek-V9") == "marscentral"  # no table: Azure will say
    with pytest.raises(ValueError, match=r"Did you mean 'eastus2'\?"):
        p.check_region("eastsu2")


def test_capacity_and_principal_are_checked() -> None:
    for bad in (0, -1, 2.5, "10", True):
        with pytest.raises(ValueError, match=r"capacity must be a whole number of at least 1"):
            p.az_commands(RG, ACCOUNT, "eastus2", capacity=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"principal_id must be the object id \(a GUID\).*az ad signed-in-user"):
        p.az_commands(RG, ACCOUNT, "eastus2", principal_id="me@example.com")


def test_validation_happens_before_any_request(arm: ArmServer) -> None:
    resources, cognitive, authorization = arm.clients()
    with pytest.raises(ValueError, match="Account name"):
        p.create_foundry_account(cognitive, RG, "bad_name", "eastus2")
    with pytest.raises(ValueError, match="not offered"):
        p.create_foundry_account(cognitive, RG, ACCOUNT, "francesouth")
    with pytest.raises(ValueError, match="Deployment name"):
        p.deploy_model(cognitive, RG, ACCOUNT, "x")
    with pytest.raises(ValueError, match="capacity"):
        p.deploy_model(cognitive, RG, ACCOUNT, "DeepSeek-R1", capacity=0)
    with pytest.raises(ValueError, match="model_version is empty.*AZURE_DEEPSEEK_MODEL_VERSION"):
        p.deploy_model(cognitive, RG, ACCOUNT, "DeepSeek-R1", version=" ")
    with pytest.raises(ValueError, match="principal_id"):
        p.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT, "someone")
    with pytest.raises(ValueError, match="Resource group name"):
        p.create_resource_group(resources, "bad name", "eastus2")
    assert arm.plane.calls == []


class StopBeforeSending(SansIOHTTPPolicy):
    """An azure-core policy that stops every request before it leaves, reporting its URL."""

    def on_request(self, request) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError(request.http_request.url)


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        (None, "https://management.azure.com/subscriptions/"),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443/subscriptions/"),
    ],
)
def test_clients_talk_to_arm_unless_given_a_base_url(base_url: str | None, expected: str) -> None:
    credential = RecordedCredential()
    calls = [
        (p.resource_client, lambda c: c.resource_groups.get(RG)),
        (p.cognitive_client, lambda c: c.accounts.get(RG, ACCOUNT)),
        (
            p.authorization_client,
            lambda c: c.role_assignments.get(p.account_scope(SUB, RG, ACCOUNT), PRINCIPAL),
        ),
    ]
    for build, call in calls:
        client = build(SUB, credential, base_url, polling_interval=0, per_call_policies=[StopBeforeSending()])
        with pytest.raises(RuntimeError, match=re.escape(expected + SUB)):
            call(client)
    with pytest.raises(ValueError, match="subscription_id"):
        p.cognitive_client("nope", credential)


# ------------------------------------------------------------------- keys are never shown whole


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("0123456789abcdef0123456789abcdef", "0123…cdef"),
        ("recorded-endpoint-key-1", "reco…ey-1"),
        ("short-key", "…"),
        ("", "(none)"),
        (None, "(none)"),
    ],
)
def test_mask_key(key: str | None, masked: str) -> None:
    assert p.mask_key(key) == masked


# ------------------------------------------------------------------- the whole course flow


def test_create_deploy_inspect_and_clean_up(arm: ArmServer, capsys: pytest.CaptureFixture[str]) -> None:
    resources, cognitive, authorization = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    # Retry-After: 0 means "use your polling_interval" to azure-core, so 0.2 s between polls here leaves the
    # progress callback time to see the operation running before it succeeds.
    slow = p.cognitive_client(SUB, RecordedCredential(), arm.base_url, 0.2, connection_verify=arm.ca_path)
    seen: list[tuple[str, str]] = []
    account = p.create_foundry_account(slow, RG, ACCOUNT, "eastus2", progress=lambda w, s: seen.append((w, s)))
    assert account.properties.provisioning_state == "Succeeded"
    what = f"Foundry account '{ACCOUNT}'"
    assert seen[0] == (what, "InProgress") and seen[-1] == (what, "Succeeded")
    assert any("/operationResults/" in call for call in arm.plane.calls)  # the LRO was really polled

    deployment = p.deploy_model(cognitive, RG, ACCOUNT, "DeepSeek-R1")  # the course's name, R1's successor
    assert capsys.readouterr().out == "Deployment 'DeepSeek-R1': Succeeded\n"
    assert (deployment.sku.name, deployment.sku.capacity) == ("GlobalStandard", p.WORKSHOP_CAPACITY)
    model = deployment.properties.model
    assert (model.format, model.name, model.version) == ("DeepSeek", "DeepSeek-V4-Pro", "2026-04-23")

    assert p.list_deployments(cognitive, RG, ACCOUNT) == [
        {
            "deployment": "DeepSeek-R1",
            "model": "DeepSeek-V4-Pro",
            "format": "DeepSeek",
            "version": "2026-04-23",
            "sku": "GlobalStandard",
            "capacity": p.WORKSHOP_CAPACITY,
            "state": "Succeeded",
        }
    ]
    assert p.wait_until_ready(cognitive, RG, ACCOUNT, "DeepSeek-R1").name == "DeepSeek-R1"
    offered = {row["model"]: row for row in p.list_models_in_region(cognitive, "eastus2")}
    assert offered["DeepSeek-R1"]["lifecycle"] == "Deprecated"
    assert (offered["DeepSeek-R1"]["inference retires"], offered["DeepSeek-R1"]["replacement"]) == (
        "2026-08-13",
        "DeepSeek-V4-Pro",
    )
    assert offered["DeepSeek-V4-Pro"]["lifecycle"] == "GenerallyAvailable"
    assert offered["DeepSeek-V3.2"]["inference retires"] is None  # 2099-12-31 means "no date"
    account_models = {row["model"]: row for row in p.list_account_models(cognitive, RG, ACCOUNT)}
    assert account_models["DeepSeek-V4-Pro"]["inference retires"] == "2028-02-20"

    endpoints = p.endpoint_and_masked_keys(cognitive, RG, ACCOUNT)
    assert endpoints.openai_v1 == arm.base_url + "/openai/v1/"
    assert endpoints.model_inference == arm.base_url + "/models"
    assert endpoints.azure_openai == endpoints.endpoint == arm.base_url + "/"
    assert (endpoints.key1, endpoints.key2) == ("reco…-key", "reco…ey-2")
    assert not any(key in repr(endpoints) for key in RECORDED_API_KEYS)

    first = p.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT, PRINCIPAL)
    again = p.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT, PRINCIPAL)
    assert first.name == again.name and len(arm.plane.role_assignments) == 1
    assert first.scope == p.account_scope(SUB, RG, ACCOUNT)

    p.delete_deployment(cognitive, RG, ACCOUNT, "DeepSeek-R1")
    assert p.list_deployments(cognitive, RG, ACCOUNT) == []
    p.delete_account(cognitive, RG, ACCOUNT)
    assert list(cognitive.accounts.list_by_resource_group(RG)) == []
    assert arm.plane.role_assignments == {}  # assignments on a deleted account go with it

    with pytest.raises(ValueError, match=rf"pass confirm='{RG}'"):
        p.delete_resource_group(resources, RG, confirm="yes")
    assert resources.resource_groups.check_existence(RG) is True
    capsys.readouterr()
    p.delete_resource_group(resources, RG, confirm=RG)
    assert capsys.readouterr().out == f"Delete resource group '{RG}': Succeeded\n"
    assert resources.resource_groups.check_existence(RG) is False


def test_tqdm_progress_shows_a_status_line(arm: ArmServer, capsys: pytest.CaptureFixture[str]) -> None:
    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    p.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2", progress=p.tqdm_progress())
    assert f"Foundry account '{ACCOUNT}': Succeeded [" in capsys.readouterr().out


def test_existing_assignment_under_another_name_is_returned(arm: ArmServer) -> None:
    resources, cognitive, authorization = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    p.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    scope = p.account_scope(SUB, RG, ACCOUNT)
    made_elsewhere = authorization.role_assignments.create(
        scope,
        "bbbbbbbb-0000-0000-0000-000000000001",
        {
            "role_definition_id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{p.COGNITIVE_SERVICES_USER_ROLE_ID}",
            "principal_id": PRINCIPAL,
        },
    )
    assert p.assign_cognitive_services_user(authorization, SUB, RG, ACCOUNT, PRINCIPAL).name == made_elsewhere.name


def test_keys_turned_off_are_reported_as_none(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    p.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2", disable_local_auth=True)
    endpoints = p.endpoint_and_masked_keys(cognitive, RG, ACCOUNT)
    assert (endpoints.key1, endpoints.key2) == (None, None)


def test_wait_until_ready_follows_a_resource_still_creating(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    poller = cognitive.accounts.begin_create(
        RG, ACCOUNT, {"kind": "AIServices", "sku": {"name": "S0"}, "location": "eastus2"}, polling=False
    )
    assert poller.result().properties.provisioning_state == "Creating"
    ready = p.wait_until_ready(cognitive, RG, ACCOUNT, interval=0)
    assert ready.properties.provisioning_state == "Succeeded"
    gets = [c for c in arm.plane.calls if c.startswith("GET ") and c.endswith(f"/accounts/{ACCOUNT}")]
    assert len(gets) == 2  # "Creating", then "Succeeded"


def test_wait_until_ready_times_out_with_advice(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    arm.plane.polls_before_success = 1000
    try:
        cognitive.accounts.begin_create(
            RG, ACCOUNT, {"kind": "AIServices", "sku": {"name": "S0"}, "location": "eastus2"}, polling=False
        )
        with pytest.raises(TimeoutError, match=r"still 'Creating' after 0 s\..*larger timeout="):
            p.wait_until_ready(cognitive, RG, ACCOUNT, timeout=0, interval=0)
    finally:
        arm.plane.polls_before_success = 1


def test_quota_error_reaches_the_learner(arm: ArmServer) -> None:
    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    p.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    with pytest.raises(HttpResponseError, match="InsufficientQuota"):
        p.deploy_model(cognitive, RG, ACCOUNT, "DeepSeek-R1", capacity=6000)


def test_delete_resource_group_without_waiting_returns_the_poller(arm: ArmServer) -> None:
    resources, _, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    poller = p.delete_resource_group(resources, RG, confirm=RG, wait=False)
    poller.result()
    assert poller.status() == "Succeeded"
    assert resources.resource_groups.check_existence(RG) is False


# ------------------------------------------------------------------- the same with the Azure CLI


def test_az_commands_cover_every_step_with_quoted_values() -> None:
    text = p.az_commands("rg-(course)", ACCOUNT, "East US 2", capacity=20, principal_id=PRINCIPAL)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "az group create --name 'rg-(course)' --location eastus2"
    assert lines[1] == (
        f"az cognitiveservices account create -n {ACCOUNT} -g 'rg-(course)' --custom-domain {ACCOUNT}"
        " --location eastus2 --kind AIServices --sku S0"
    )
    assert (
        "--deployment-name DeepSeek-R1 --model-name DeepSeek-V4-Pro --model-version 2026-04-23 --model-format DeepSeek "
        "--sku-name GlobalStandard --sku-capacity 20"
    ) in text
    other = p.az_commands(RG, ACCOUNT, "eastus2", "flash", model="DeepSeek-V4-Flash", sku="DataZoneStandard")
    assert "--model-name DeepSeek-V4-Flash --model-version 2026-04-23" in other and "DataZoneStandard" in other
    assert f"--assignee-object-id {PRINCIPAL}" in text and '--role "Cognitive Services User"' in text
    assert "account list-models" in text and "query properties.endpoints" in text
    assert text.splitlines()[-1] == "az group delete --name 'rg-(course)' --yes"
    assert "keys list -n" not in text  # keys are named, never listed by a command we hand out
    without_principal = p.az_commands(RG, ACCOUNT, "eastus2")
    assert "az ad signed-in-user show --query id -o tsv" in without_principal


def test_bicep_template_matches_the_sdk_values() -> None:
    bicep = (Path(__file__).parents[1] / "infra" / "main.bicep").read_text()
    assert "kind: 'AIServices'" in bicep and "name: 'S0'" in bicep
    assert "customSubDomainName: accountName" in bicep
    assert re.search(r"format: 'DeepSeek'\s+name: modelName\s+version: modelVersion", bicep)
    assert f"param modelName string = '{p.MODEL_NAME}'" in bicep
    assert f"param modelVersion string = '{p.MODEL_VERSION}'" in bicep
    assert f"param skuName string = '{p.MODEL_SKU}'" in bicep and "name: skuName" in bicep
    assert p.COGNITIVE_SERVICES_USER_ROLE_ID in bicep
    assert f"param deploymentCapacity int = {p.WORKSHOP_CAPACITY}" in bicep


def test_deploying_the_retired_deepseek_r1_is_refused_and_explained(arm: ArmServer) -> None:
    from helpers.lifecycle import explain_retired

    resources, cognitive, _ = arm.clients()
    p.create_resource_group(resources, RG, "eastus2")
    p.create_foundry_account(cognitive, RG, ACCOUNT, "eastus2")
    with pytest.raises(HttpResponseError) as caught:
        p.deploy_model(cognitive, RG, ACCOUNT, "DeepSeek-R1", model="DeepSeek-R1", version="1")
    assert caught.value.error.code == "ServiceModelDeprecated"
    message = explain_retired(caught.value)
    assert "DeepSeek-R1 version 1 was retired on Azure on 2026-08-13" in message
    assert "Deploy DeepSeek-V4-Pro instead" in message
