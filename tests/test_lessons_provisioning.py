"""Lessons 01, 02 and 10 keep the shape of a lesson, their stored outputs are clean, and the Resource Manager
route lesson 10 lists a group with answers as ARM does.

nbval re-runs the cells and compares outputs; these checks cover what it does not: the lesson structure, the
fixed first cell, stored outputs free of errors, of whole keys and of ids that could be someone's, and code
that never hard-codes an endpoint. The route test goes through the real SDK over HTTPS.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError

from helpers import provisioning
from helpers.replay import DEFAULT_API_KEY, RECORDED_SUBSCRIPTION_ID

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = ["01_resource_setup.ipynb", "02_deployment.ipynb", "10_clean_up.ipynb"]
SETUP_CELL = "import helpers\nsettings = helpers.setup()"
REQUIRED_SECTIONS = [
    "**You will learn**", "**Prerequisites:**", "**Time:**", "**Cost if run live:**",
    "## Recap", "## Exercise",
]  # fmt: skip
LITERAL_ENDPOINT = re.compile(
    r"127\.0\.0\.1|localhost:\d|\w\.(openai\.azure|services\.ai\.azure|cognitiveservices\.azure)\.com"
)
GUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
# The only GUIDs an output may show: the recorded subscription and the placeholder principal.
SHOWABLE_GUIDS = {RECORDED_SUBSCRIPTION_ID, "11111111-1111-1111-1111-111111111111"}


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else "")
        parts.append(output.get("evalue", ""))
    return "\n".join(parts)


@pytest.fixture(params=LESSONS)
def notebook(request) -> dict:
    return load(request.param)


def test_opens_with_h1_and_the_setup_cell(notebook):
    cells = notebook["cells"]
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).startswith("# ")
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert source(first_code) == SETUP_CELL
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_has_every_lesson_section(notebook):
    prose = "\n".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
    missing = [section for section in REQUIRED_SECTIONS if section not in prose]
    assert not missing, f"missing sections: {missing}"
    assert prose.index("## Recap") < prose.index("## Exercise")


def test_every_code_cell_follows_prose(notebook):
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            assert cells[index - 1]["cell_type"] == "markdown", f"cell {index} has no prose before it"


def test_exercise_ends_with_a_checking_cell(notebook):
    cells = notebook["cells"]
    exercise_at = next(i for i, c in enumerate(cells) if "## Exercise" in source(c))
    code = [source(c) for c in cells[exercise_at:] if c["cell_type"] == "code"]
    assert any("assert" in text for text in code), "the exercise needs a cell that checks the answer"
    assert "Correct!" in output_text(cells[-1]), "the stored solution must pass its check"


def test_stored_outputs_are_executed_and_clean(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, f"cell {index} was not executed: run make regen"
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if "raises-exception" in tags:
            assert errors, f"cell {index} is tagged raises-exception but stored no error"
        else:
            assert not errors, f"cell {index} stored {errors[0].get('evalue')!r}"


def test_no_whole_key_and_no_one_elses_id_in_outputs(notebook):
    for index, cell in enumerate(notebook["cells"]):
        text = output_text(cell)
        assert DEFAULT_API_KEY not in text, f"cell {index} shows a key whole"
        strangers = set(GUID.findall(text)) - SHOWABLE_GUIDS
        assert not strangers, f"cell {index} shows ids that vary or could be someone's: {strangers}"


def test_code_never_hard_codes_an_endpoint(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert not LITERAL_ENDPOINT.search(source(cell)), f"cell {index} hard-codes an endpoint"


def test_lessons_02_and_10_make_sure_their_resources_exist_first():
    """Each kernel starts an empty Resource Manager, so 02 and 10 create (idempotently) what they need."""
    for name in ("02_deployment.ipynb", "10_clean_up.ipynb"):
        code = [source(c) for c in load(name)["cells"] if c["cell_type"] == "code"]
        first_use = next(i for i, text in enumerate(code) if "management_clients()" in text)
        assert "create_resource_group" in code[first_use] and "create_foundry_account" in code[first_use]


def test_lesson_10_deletes_the_group_only_behind_the_guard():
    cells = load("10_clean_up.ipynb")["cells"]
    deletes = [c for c in cells if c["cell_type"] == "code" and "delete_resource_group" in source(c)]
    refused, done = deletes
    assert "raises-exception" in refused["metadata"]["tags"] and "confirm=" in source(refused)
    assert "To go ahead, pass confirm=" in output_text(refused)
    assert "Delete resource group" in output_text(done) and "Succeeded" in output_text(done)


# ------------------------------------------------------------------ the route lesson 10 lists a group with


@pytest.fixture
def arm(replay_env):
    from helpers.clients import management_clients

    return management_clients()


def test_group_listing_shows_its_accounts_but_not_their_deployments(arm):
    group = f"rg-list-{uuid.uuid4().hex[:8]}"
    provisioning.create_resource_group(arm.resources, group, "eastus2")
    assert list(arm.resources.resources.list_by_resource_group(group)) == []

    provisioning.create_foundry_account(arm.cognitive, group, f"acct-{group[-8:]}", "eastus2")
    provisioning.deploy_deepseek_r1(arm.cognitive, group, f"acct-{group[-8:]}", capacity=1)
    listed = list(arm.resources.resources.list_by_resource_group(group))
    assert [(r.name, r.type, r.kind, r.location) for r in listed] == [
        (f"acct-{group[-8:]}", "Microsoft.CognitiveServices/accounts", "AIServices", "eastus2")
    ]
    assert listed[0].sku.name == "S0"

    provisioning.delete_resource_group(arm.resources, group, confirm=group)
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        list(arm.resources.resources.list_by_resource_group(group))
