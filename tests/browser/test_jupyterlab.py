"""The course as a learner sees it: JupyterLab in headless Chromium runs a lesson and shows its widgets.

JupyterLab (started by ``conftest.py`` on loopback, kernel in recorded mode) opens the notebook; the test
clears the stored outputs, runs all cells through JupyterLab's own "Run All" command, waits for the kernel
to finish, and then checks what is on the page: the reasoning panel (an ipywidgets Accordion) rendered,
the recorded answer's text is visible, and no cell shows an error it was not meant to raise. A screenshot
of the panel goes to ``tests/browser/screenshots/`` (git-ignored). A last test drives lesson 10's chat app
as a learner does: types a question, presses Enter, asks a follow-up with the Send button.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from recorded_endpoint.recordings import RecordingLibrary

# Starting JupyterLab and running a lesson takes longer than the suite's per-test limit allows.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

RUN_TIMEOUT_MS = 240_000
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

# Every code cell has run and the kernel is idle again.
ALL_CELLS_RAN = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  return kernel && kernel.status === 'idle' && cells.every(cell => cell.model.executionCount !== null
      && !cell.promptNode.textContent.includes('*'));
}"""

# What the page shows of the kernel and of each code cell's prompt, for a run that did not finish.
CELL_STATES = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const prompts = panel.content.widgets.filter(cell => cell.model.type === 'code')
      .map((cell, index) => `${index}:${cell.promptNode.textContent.trim()}`);
  return {kernel: kernel ? kernel.status : null, unfinished: prompts.filter(p => !/\\[\\d+\\]/.test(p))};
}"""

# Error outputs per cell, and whether the cell is tagged to raise on purpose.
ERRORS_BY_CELL = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.filter(cell => cell.model.type === 'code').map((cell, index) => {
    const outputs = cell.model.outputs.toJSON();
    const tags = cell.model.getMetadata('tags') || [];
    return {
      index,
      raises: tags.includes('raises-exception'),
      errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
      tracebacks_on_stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr'
          && o.text.includes('Traceback')).length,
    };
  });
}"""


def plain(text: str) -> str:
    """Text as the page shows it, whether or not Markdown was rendered: no emphasis marks, single spaces."""
    return " ".join(re.sub(r"[*_`#>]", "", text).split())


def recorded_openings(field: str) -> list[str]:
    """The first words of every recorded answer (or reasoning): one of them must show up in the panel."""
    openings = []
    for recording in RecordingLibrary.from_directory().recordings:
        for response in recording.responses:
            if response.get("kind") == "completion" and response.get(field):
                openings.append(plain(response[field].strip().splitlines()[0])[:40])
    return openings


def shows_one_of(openings: list[str], text: str) -> bool:
    return any(opening in plain(text) for opening in openings)


def run_all_cells(page, base: str, token: str, notebook: str) -> None:
    # ?reset: a fresh workspace, so a notebook left open by an earlier test does not come back.
    page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function(
        """name => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                     return panel && panel.context && panel.context.path === name && panel.sessionContext; }""",
        arg=notebook, timeout=90_000,
    )
    page.evaluate("""async () => {
      const app = window.jupyterapp;
      const panel = app.shell.currentWidget;
      await panel.context.ready;
      await panel.sessionContext.ready;
      await app.commands.execute('notebook:clear-all-cell-outputs');
      // Not awaited: the promise settles only when every cell has finished, and a cell the kernel never
      // reports as done would hold it forever. The bounded wait below watches the cells instead.
      app.commands.execute('notebook:run-all-cells');
    }""")
    try:
        page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_TIMEOUT_MS, polling=500)
    except PlaywrightTimeoutError:
        state = page.evaluate(CELL_STATES)
        pytest.fail(f"{notebook}: the cells did not all finish within {RUN_TIMEOUT_MS // 1000} s: {state}")


def check_page(page, name: str) -> None:
    """The reasoning panel rendered and unfolds, the recorded answer is visible, and no unexpected error shows."""
    assert page.locator(".jp-OutputArea-output .jupyter-widgets").count() > 0, "no ipywidgets output rendered"
    assert page.locator(".jupyter-widgets", has_text="Error displaying widget").count() == 0, (
        "a widget failed to render: is the jupyterlab_widgets extension installed?"
    )
    view = page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-accordion)").first
    assert view.count() == 1, "the live view (a reasoning panel above the answer) did not render"
    view.scroll_into_view_if_needed()
    assert shows_one_of(recorded_openings("answer"), view.inner_text()), (
        f"no recorded answer shows in the live view; it reads: {view.inner_text()[:300]!r}"
    )

    panel = view.locator(".widget-accordion").first
    assert "Thinking" in panel.locator(".jupyter-widget-Collapse-header").first.inner_text()
    thinking = panel.locator(".jupyter-widget-Collapse-contents").first
    if not thinking.is_visible():  # folded away once the answer started: a click unfolds it
        panel.locator(".jupyter-widget-Collapse-header").first.click()
    thinking.wait_for(state="visible", timeout=10_000)
    assert shows_one_of(recorded_openings("reasoning"), thinking.inner_text()), (
        f"the unfolded panel shows no recorded reasoning: {thinking.inner_text()[:300]!r}"
    )

    errors = page.evaluate(ERRORS_BY_CELL)
    unexpected = [cell for cell in errors if (cell["errors"] and not cell["raises"]) or cell["tracebacks_on_stderr"]]
    assert unexpected == [], json.dumps(unexpected, indent=1)
    expected_errors = sum(len(cell["errors"]) for cell in errors)
    error_outputs = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    assert error_outputs.count() == expected_errors

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    view.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def write_recorded_notebook(path: Path, code: str) -> None:
    """A two-cell notebook: the recorded endpoint's `helpers.setup()`, then `code`."""
    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    })
    notebook.cells = [
        nbformat.v4.new_code_cell("import helpers\nsettings = helpers.setup()"),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(notebook, path)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def test_lesson_06_streams_into_the_reasoning_panel(lab, page):
    base, token, notebooks = lab
    lesson = notebooks / "06_streaming.ipynb"
    assert lesson.exists(), "notebooks/06_streaming.ipynb is missing: the browser test runs lesson 06"
    run_all_cells(page, base, token, lesson.name)
    check_page(page, "06_streaming")


def test_a_streamed_answer_renders_in_the_live_view(lab, page):
    """The same machinery on a two-cell notebook: recorded endpoint, openai stream, helpers.views.LiveView."""
    base, token, notebooks = lab
    write_recorded_notebook(
        notebooks / "browser_smoke.ipynb",
        "from helpers.clients import openai_client\n"
        "from helpers.streaming import consume\n"
        "from helpers.views import LiveView\n\n"
        "messages = [{'role': 'system', 'content': 'You are a helpful assistant.'},\n"
        "            {'role': 'user', 'content': 'How many languages are in the world?'}]\n"
        "stream = openai_client().chat.completions.create(model=settings.deployment, messages=messages,\n"
        "    temperature=0, top_p=1, max_tokens=2048, stream=True)\n"
        "result = consume(stream, view=LiveView())",
    )
    run_all_cells(page, base, token, "browser_smoke.ipynb")
    check_page(page, "live_view")


def test_the_chat_app_answers_what_a_learner_types(lab, page):
    """Lesson 10's chat app driven as a learner drives it: type, press Enter, then a follow-up with Send."""
    base, token, notebooks = lab
    write_recorded_notebook(
        notebooks / "chat_smoke.ipynb",
        "from helpers.chat_app import ChatApp\n"
        "from helpers.clients import async_azure_openai_client\n\n"
        "app = ChatApp(async_azure_openai_client(), model=settings.deployment,"
        " stream_options={'include_usage': True})\n"
        "app",
    )
    run_all_cells(page, base, token, "chat_smoke.ipynb")

    box = page.locator(".jp-OutputArea-output .widget-text input").first
    answers = page.locator(".jp-OutputArea-output .widget-accordion")
    box.fill("Who painted the Mona Lisa?")
    box.press("Enter")
    answers.nth(0).wait_for(timeout=30_000)
    # The answer, not the folded thoughts, which mention the painter too.
    page.get_by_text("Leonardo da Vinci").filter(visible=True).first.wait_for(timeout=30_000)

    box.fill("What else did he paint?")  # the recorded second turn: sent with the first answer, no reasoning
    page.locator(".jp-OutputArea-output button", has_text="Send").first.click()
    answers.nth(1).wait_for(timeout=30_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-OutputArea-output .widget-html')]
                 .filter(node => node.textContent.startsWith('You:')).length === 2""",
        timeout=30_000,
    )
    second_turn = answers.nth(1).locator("xpath=..")
    openings = recorded_openings("answer")
    for _ in range(60):  # the answer streams in: wait for its recorded opening words, 30 s at most
        if shows_one_of(openings, second_turn.inner_text()):
            break
        page.wait_for_timeout(500)
    assert shows_one_of(openings, second_turn.inner_text()), second_turn.inner_text()[:300]
    assert page.locator(".jp-OutputArea-output .widget-html", has_text="Error:").count() == 0
    assert box.input_value() == "", "the text box is cleared for the next question"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat_app.png"))
