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


# --- money renders as text -------------------------------------------------------------------------------------------
# JupyterLab renders two dollar signs within one paragraph as LaTeX math: "$1.35 / $5.40" becomes italic math. An
# escaped `\$` does not help there: Markdown turns it into a plain "$" before MathJax reads the page (the browser test
# sees it typeset). So amounts are written "USD 1.35"; code spans and code blocks are never math.
CODE_IN_MARKDOWN = re.compile(r"```.*?```|`[^`\n]*`", re.S)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def math_in(markdown: str) -> list[str]:
    """The paragraphs of `markdown` in which two dollar signs (escaped or not) would render as math."""
    text = CODE_IN_MARKDOWN.sub("", markdown)
    return [p.strip() for p in PARAGRAPH_BREAK.split(text) if p.count("$") >= 2]


def markdown_outputs(cell: dict) -> list[str]:
    values = [o.get("data", {}).get("text/markdown") for o in cell.get("outputs", [])]
    return [v if isinstance(v, str) else "".join(v) for v in values if v]


def test_the_math_check_finds_prices_and_spares_code():
    assert math_in("At $1.35 / $5.40 per million") == ["At $1.35 / $5.40 per million"]
    assert math_in("At \\$1.35 / \\$5.40 per million") != []  # JupyterLab typesets these too
    assert math_in("At USD 1.35 / USD 5.40, `$HOME` and\n\n```bash\necho $A $B\n```") == []
    assert math_in("one $1 here\n\nanother $2 there") == []


def test_money_renders_as_text(notebook):
    for index, cell in enumerate(notebook["cells"]):
        texts = [source(cell)] if cell["cell_type"] == "markdown" else markdown_outputs(cell)
        for text in texts:
            found = math_in(text)
            assert not found, f"cell {index} would render as math (write amounts as USD 1.35): {found[0][:120]!r}"


# --- documents named by title, links that work ----------------------------------------------------------------------
INTERNAL_CODES = re.compile(r"\b[Ss]eeds? \d{3}\b|§")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading (lower case, punctuation dropped, spaces as hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)  # no headings in code blocks
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#+ (.*)$", text, re.M)}


def test_documents_are_named_by_title_not_by_number(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            found = INTERNAL_CODES.search(source(cell))
            assert not found, f"cell {index} says {found.group(0)!r}: name the document, or link the section"


def test_every_relative_link_resolves(notebook):
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall(CODE_IN_MARKDOWN.sub("", source(cell))):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path, _, fragment = target.partition("#")
            resolved = (NOTEBOOKS / path).resolve()
            assert resolved.exists(), f"cell {index} links to {target}, which does not exist"
            if fragment and resolved.suffix == ".md":
                assert fragment in anchors_of(resolved), f"cell {index} links to #{fragment}, not a heading of {path}"


# --- exercises: try first, solution hidden and not run by Run All ---------------------------------------------------
SOLUTION_BLOCK = re.compile(r"<details><summary>Solution[^<]*</summary>\s*```python\n(.*?)```", re.S)


def exercise_parts(notebook: dict) -> tuple[int, str]:
    """The index of the learner's answer cell and the hidden solution's code."""
    cells = notebook["cells"]
    exercise_at = next(i for i, c in enumerate(cells) if "## Exercise" in source(c))
    for index in range(exercise_at, len(cells)):
        found = SOLUTION_BLOCK.search(source(cells[index])) if cells[index]["cell_type"] == "markdown" else None
        if found:
            answer_at = max(i for i in range(exercise_at, index) if cells[i]["cell_type"] == "code")
            return answer_at, found.group(1)
    raise AssertionError("the exercise needs its solution in a <details><summary>Solution</summary> block")


def test_exercise_waits_for_the_learner(notebook):
    answer_at, solution = exercise_parts(notebook)
    answer_cell = notebook["cells"][answer_at]
    assert "..." in source(answer_cell), "the answer cell holds a `...` placeholder for the learner"
    assert "Not answered yet" in output_text(answer_cell), "run unanswered, the check says 'Not answered yet: ...'"
    code_after = [source(c) for c in notebook["cells"][answer_at:] if c["cell_type"] == "code"]
    given = {line.strip() for line in source(answer_cell).splitlines()}  # the signature and the check call
    solution_lines = {line.strip() for line in solution.splitlines() if len(line.strip()) > 20} - given
    for text in code_after:
        ran = solution_lines & {line.strip() for line in text.splitlines()}
        assert not ran, f"Run All would run the solution: {sorted(ran)[0]!r}"


def run_with_answer(name: str, answer: str | None) -> tuple[dict, int]:
    """Execute lesson `name` in a fresh kernel, with `answer` (if given) typed into its answer cell, as Run All does."""
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    answer_at, _ = exercise_parts(notebook)
    if answer is not None:
        notebook.cells[answer_at].source = answer
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return notebook, answer_at


@pytest.mark.slow  # a kernel per lesson
@pytest.mark.parametrize("name", LESSONS)
def test_hidden_solution_passes_its_check(name, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "recorded")
    monkeypatch.setenv("REPLAY_TIMING", "none")
    _, solution = exercise_parts(load(name))
    executed, answer_at = run_with_answer(name, solution)
    printed = output_text(executed.cells[answer_at])
    assert "Correct" in printed and "Not answered yet" not in printed, printed
