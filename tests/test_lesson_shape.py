"""Every lesson keeps the shape the course promises, and its stored outputs are clean.

nbval re-runs the cells and compares outputs; these checks cover what it does not: the lesson structure
(H1, "You will learn", prerequisites, time, cost, recap, exercise), the fixed first cell, prose before every
code cell, stored outputs free of unexpected errors, of the recorded endpoint's key and of ids that could be
someone's, and code that never hard-codes an endpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from recorded_endpoint import DEFAULT_API_KEY, RECORDED_SUBSCRIPTION_ID

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SETUP_CELL = "import helpers\nsettings = helpers.setup()"
REQUIRED_SECTIONS = [
    "**You will learn**", "**Prerequisites:**", "**Time:**", "**Cost if run live:**", "## Recap", "## Exercise",
]  # fmt: skip
# Code must use settings and environment variables, never a literal Azure or local endpoint.
LITERAL_ENDPOINT = re.compile(
    r"127\.0\.0\.1|localhost:\d|\w\.(openai\.azure|services\.ai\.azure|cognitiveservices\.azure)\.com"
)
GUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
# The only GUIDs an output may show: the recorded subscription and the placeholder principal of lesson 01.
SHOWABLE_GUIDS = {RECORDED_SUBSCRIPTION_ID, "11111111-1111-1111-1111-111111111111"}


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
        parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def test_every_numbered_lesson_exists():
    assert [name[:2] for name in LESSONS] == [f"{n:02d}" for n in range(12)]


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
    assert any("assert" in text or "check" in text for text in code), "the exercise needs a checking cell"


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


def test_no_key_and_no_one_elses_id_in_outputs(notebook):
    for index, cell in enumerate(notebook["cells"]):
        text = output_text(cell)
        assert DEFAULT_API_KEY not in text, f"cell {index} shows the endpoint's key"
        strangers = set(GUID.findall(text)) - SHOWABLE_GUIDS
        assert not strangers, f"cell {index} shows ids that vary or could be someone's: {strangers}"


def test_code_never_hard_codes_an_endpoint(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            found = LITERAL_ENDPOINT.search(source(cell))
            assert not found, f"cell {index} names {found.group(0)!r}: use settings or os.environ instead"
