"""Lessons 00, 03 and 04 keep the shape of a lesson, and their stored outputs are clean.

nbval re-runs the cells and compares outputs; these checks cover what it does not: the lesson structure the
course promises (H1, "You will learn", prerequisites, time, cost, recap, exercise), the fixed first cell,
stored outputs free of errors and of the recorded endpoint's key, and code that never hard-codes an endpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.replay import DEFAULT_API_KEY

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = ["00_start_here.ipynb", "03_info_route.ipynb", "04_basic_chat.ipynb"]
SETUP_CELL = "import helpers\nsettings = helpers.setup()"
REQUIRED_SECTIONS = [
    "**You will learn**", "**Prerequisites:**", "**Time:**", "**Cost if run live:**",
    "## Recap", "## Exercise",
]
# Code must use settings and environment variables, never a literal Azure or local endpoint.
LITERAL_ENDPOINT = re.compile(r"127\.0\.0\.1|localhost:\d|\w\.(openai\.azure|services\.ai\.azure)\.com")


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


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
    checks = [text for text in code if "assert" in text or "check_" in text]
    assert checks, "the exercise needs a cell that checks the answer"


def test_stored_outputs_are_executed_and_clean(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, f"cell {index} was not executed: run make regen"
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell["outputs"]:
            if "raises-exception" not in tags:
                assert output["output_type"] != "error", f"cell {index} stored {output.get('evalue')!r}"
            assert DEFAULT_API_KEY not in json.dumps(output), f"cell {index} shows the endpoint's key"


def test_code_names_no_literal_endpoint(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            found = LITERAL_ENDPOINT.search(source(cell))
            assert not found, f"cell {index} names {found.group(0)!r}: use settings or os.environ instead"
