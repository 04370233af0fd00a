"""A learner's first hour, in a real browser: the README's first command, then every lesson with Run All.

JupyterLab is started the way `make lab` starts it (`jupyter lab --config=jupyter_lab_config.py`, plus
`--allow-root` when running as root), on a copy of the repository, with only what a test needs on top (a
port, a token, no browser window, the app object exposed to the page). Then, in headless Chromium:

- lesson 00 opens by itself, with `helpers/`, `docs/` and `.env.sample` in the file browser, unmodified;
- its link to the course's sources opens `docs/sources.md`;
- every lesson runs with Run All (bounded waits), errors only in cells tagged raises-exception, and a
  screenshot of each goes to `tests/browser/screenshots/` (git-ignored);
- after Run All, lesson 10's chat app still answers a typed question, and offers the recorded questions;
- an edited prompt offline shows the short RecordingNotFound message, not the SDK's traceback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time

import pytest

# tests/browser/ is on sys.path (pytest's rootdir-relative imports): the helpers the other browser tests use.
from conftest_support import ROOT, lab_environment, wait_until_up
from test_jupyterlab import ERRORS_BY_CELL, SCREENSHOTS, run_all_cells

from recorded_endpoint.server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

LESSONS = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# What the repository copy leaves out: tool folders and anything a developer built or ran.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "__pycache__", ".ipynb_checkpoints", "screenshots", ".env"
)


def readme_first_command() -> list[str]:
    """`make lab`'s command, as the Makefile runs it (checked against the Makefile, so the two cannot drift)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/jupyter lab --config=jupyter_lab_config.py $(ALLOW_ROOT)" in makefile
    assert "make lab" in (ROOT / "README.md").read_text(encoding="utf-8").split("```bash", 1)[1].split("```")[0]
    root = ["--allow-root"] if os.getuid() == 0 else []
    return [sys.executable, "-m", "jupyter", "lab", "--config=jupyter_lab_config.py", *root]


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    """JupyterLab on a copy of the repository, started as `make lab` starts it; yields (base URL, token, copy)."""
    home = tmp_path_factory.mktemp("first-hour")
    repository = home / "course"
    shutil.copytree(ROOT, repository, ignore=NOT_COPIED)
    token, port = secrets.token_hex(16), free_port()
    env = lab_environment(home)
    test_only = [
        "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0", "--no-browser",
        f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
        "--LanguageServerManager.autodetect=False", "--ServerApp.terminals_enabled=False",
    ]  # fmt: skip
    log = (home / "jupyter.log").open("w")
    started = time.monotonic()
    server = subprocess.Popen(
        readme_first_command() + test_only, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=repository
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, token, server, home / "jupyter.log")
        yield base, token, repository, started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def current_path(page) -> str | None:
    return page.evaluate("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                         " return w && w.context ? w.context.path : null; }")  # fmt: skip


def test_lab_opens_lesson_00_with_the_repository_in_the_file_browser(course_lab, page):
    base, token, _, started = course_lab
    page.goto(f"{base}/?token={token}", wait_until="domcontentloaded")  # where `make lab` opens the browser
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.context", timeout=90_000)  # fmt: skip
    assert current_path(page) == "notebooks/00_start_here.ipynb"
    print(f"\nJupyterLab start to lesson 00 open: {time.monotonic() - started:.1f} s")
    items = page.locator(".jp-DirListing-item .jp-DirListing-itemName")
    items.first.wait_for(timeout=30_000)
    page.get_by_title("File Browser").first.click() if not items.first.is_visible() else None
    names = set(items.all_inner_texts())
    assert {"helpers", "docs", "notebooks", ".env.sample"} <= names, names
    assert not names & {".git", ".venv"}, names
    page.wait_for_timeout(3000)  # a tab that is modified on open shows it by now
    dirty = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")
    assert not dirty, "lesson 00 shows as modified right after opening"


def test_lesson_00s_link_to_the_sources_opens_them(course_lab, page):
    base, token, _, _ = course_lab
    page.goto(f"{base}/lab/tree/notebooks/00_start_here.ipynb?reset&token={token}", wait_until="domcontentloaded")
    link = page.locator(".jp-RenderedMarkdown a", has_text="The course's sources").first
    link.wait_for(timeout=90_000)
    link.click()
    opened = "() => { const w = window.jupyterapp.shell.currentWidget; return w && w.context && w.context.path"
    page.wait_for_function(opened + " === 'docs/sources.md'; }", timeout=30_000)


@pytest.mark.parametrize("lesson", LESSONS)
def test_run_all_in_every_lesson(course_lab, page, lesson):
    base, token, _, _ = course_lab
    run_all_cells(page, base, token, f"notebooks/{lesson}")
    errors = page.evaluate(ERRORS_BY_CELL)
    unexpected = [cell for cell in errors if cell["errors"] and not cell["raises"]]
    assert unexpected == [], unexpected
    math = page.locator(".jp-RenderedMarkdown .MathJax, .jp-RenderedMarkdown mjx-container")
    where = [text[:160] for text in math.locator("xpath=ancestor::*[contains(@class,'jp-RenderedMarkdown')][1]")
             .all_inner_texts()]  # fmt: skip
    assert math.count() == 0, f"{lesson}: Markdown renders as math (a price with a bare $?): {where}"
    if lesson.startswith("10_"):
        chat_after_run_all(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lesson_{lesson.removesuffix('.ipynb')}.png"), full_page=True)


def chat_after_run_all(page) -> None:
    """Lesson 10 after Run All: the app above still takes a typed question and answers it."""
    suggestions = page.locator(".jp-OutputArea-output button", has_text="Who painted the Mona Lisa?")
    assert suggestions.count() >= 1, "recorded mode offers the recorded questions as buttons"
    box = page.locator(".jp-OutputArea-output .widget-text input").first
    assert box.is_enabled(), "the chat app is closed after Run All"
    box.scroll_into_view_if_needed()
    before = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                           ".filter(node => node.textContent.includes('Leonardo da Vinci')).length")  # fmt: skip
    box.fill("Who painted the Mona Lisa?")
    box.press("Enter")
    try:
        page.wait_for_function(
            "n => [...document.querySelectorAll('.jp-OutputArea-output')]"
            ".filter(node => node.textContent.includes('Leonardo da Vinci')).length > n",
            arg=before, timeout=60_000,
        )  # fmt: skip
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "chat_after_run_all_failed.png"))
        raise
    closed = page.locator(".jp-OutputArea-output .widget-html", has_text="Cannot send a request")
    assert closed.count() == 0


def test_an_edited_prompt_offline_shows_the_short_message(course_lab, page):
    base, token, _, _ = course_lab
    run_all_cells(page, base, token, "notebooks/00_start_here.ipynb")
    page.evaluate("""async () => {
      const app = window.jupyterapp;
      const panel = app.shell.currentWidget;
      panel.content.activeCellIndex = panel.content.widgets.length - 1;
      await app.commands.execute('notebook:insert-cell-below');
      panel.content.activeCell.model.sharedModel.setSource(
        'client.chat.completions.create(model=settings.deployment, ' +
        'messages=[{"role": "user", "content": "Hello, an edited prompt!"}])');
      app.commands.execute('notebook:run-cell');
    }""")
    page.wait_for_function("""() => { const cell = window.jupyterapp.shell.currentWidget.content.activeCell;
        return cell.model.outputs.toJSON().some(output => output.output_type === 'error'); }""", timeout=60_000)
    error = page.locator(".jp-Notebook .jp-Cell.jp-mod-active .jp-OutputArea-output").last
    text = error.inner_text()
    assert "BadRequestError" in text and "is not recorded" in text and "%tb" in text, text
    assert len(text.splitlines()) <= 8 and "_base_client" not in text, text  # not the SDK's 130 lines
    error.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "short_error.png"))
