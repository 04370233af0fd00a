"""What lessons 01, 02 and 11 rely on: each makes sure its resources exist (every kernel starts an empty
Resource Manager), lesson 11 deletes the group only behind its guard, and the route lesson 11 lists a group
with answers as ARM does (through the real SDK over HTTPS). The shape every lesson keeps is checked in
test_lesson_shape.py.
"""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError
from test_lesson_shape import load, output_text, source

from helpers import provisioning


def test_lessons_02_and_10_make_sure_their_resources_exist_first():
    """Each kernel starts an empty Resource Manager, so 02 and 10 create (idempotently) what they need."""
    for name in ("02_deployment.ipynb", "11_clean_up.ipynb"):
        code = [source(c) for c in load(name)["cells"] if c["cell_type"] == "code"]
        first_use = next(i for i, text in enumerate(code) if "management_clients()" in text)
        assert "create_resource_group" in code[first_use] and "create_foundry_account" in code[first_use]


def test_lesson_10_deletes_the_group_only_behind_the_guard():
    cells = load("11_clean_up.ipynb")["cells"]
    deletes = [c for c in cells if c["cell_type"] == "code" and "delete_resource_group" in source(c)]
    refused, done = deletes
    assert "raises-exception" in refused["metadata"]["tags"] and "confirm=" in source(refused)
    assert "To go ahead, pass confirm=" in output_text(refused)
    assert "Delete resource group" in output_text(done) and "Succeeded" in output_text(done)


# ------------------------------------------------------------------ the route lesson 11 lists a group with


@pytest.fixture
def arm(replay_env):
    from helpers.clients import management_clients

    return management_clients()


def test_group_listing_shows_its_accounts_but_not_their_deployments(arm):
    group = f"rg-list-{uuid.uuid4().hex[:8]}"
    provisioning.create_resource_group(arm.resources, group, "eastus2")
    assert list(arm.resources.resources.list_by_resource_group(group)) == []

    provisioning.create_foundry_account(arm.cognitive, group, f"acct-{group[-8:]}", "eastus2")
    provisioning.deploy_model(arm.cognitive, group, f"acct-{group[-8:]}", "DeepSeek-R1", capacity=1)
    listed = list(arm.resources.resources.list_by_resource_group(group))
    assert [(r.name, r.type, r.kind, r.location) for r in listed] == [
        (f"acct-{group[-8:]}", "Microsoft.CognitiveServices/accounts", "AIServices", "eastus2")
    ]
    assert listed[0].sku.name == "S0"

    provisioning.delete_resource_group(arm.resources, group, confirm=group)
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        list(arm.resources.resources.list_by_resource_group(group))
