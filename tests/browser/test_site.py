"""The course's static site (``make site``), built from the committed notebooks and read in headless Chromium.

A module fixture copies the repository's files (as a clone has them), builds the site from that copy with Sphinx
and myst-nb exactly as ``make site`` does (stored outputs, no cell executed, any warning fails the build), and
serves it on loopback; the checks compare each page with the very notebook it was built from. The browser may
load nothing but that server: any other request is refused and fails the test. Then the tests open the home
page, every lesson and every guide, follow every link to the site itself, and look at what a reader sees:
highlighted code, prices as text, tracebacks only in the cells that raise on purpose, a note wherever a live
widget would be, a link to the notebook, and lesson 09's charts. A screenshot of each page goes to
``tests/browser/screenshots/site/`` (git-ignored), with ``summary.json``: build time, size, pages, links.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots" / "site"
LESSONS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
GUIDES = sorted(ROOT.glob("docs/*.md"))
# The same command as `make site`, into a folder of the test's own.
SPHINX = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-q"]

sys.path.insert(0, str(ROOT / "site"))
from course_site import is_widget_output  # noqa: E402 - the site's own rule for what counts as a widget

# Building the site and reading it page by page takes longer than the suite's per-test limit allows.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass


@dataclass
class Site:
    base: str  # the URL it is served at
    html: Path  # the built pages
    src: Path  # the copy of the repository it was built from
    summary: dict = field(default_factory=dict)

    def source(self, path: Path) -> Path:
        """The copy, as built, of a file of the repository."""
        return self.src / path.relative_to(ROOT)


def copy_repository(dest: Path) -> None:
    """The files a clone has (tracked, or new and not ignored): the build and the checks then read one version of
    each notebook, even while the working tree changes under them. Without git (a zip), everything but .venv."""
    if not (ROOT / ".git").exists():
        skip = shutil.ignore_patterns(".venv", ".git", "build", "__pycache__", "*.egg-info", "screenshots")
        shutil.copytree(ROOT, dest, ignore=skip)
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from a copy of the repository and served on loopback."""
    out = tmp_path_factory.mktemp("site")
    src, html = out / "src", out / "html"
    copy_repository(src)
    started = time.perf_counter()
    build = subprocess.run(
        [*SPHINX, "-c", str(src / "site"), "-d", str(out / "doctrees"), str(src), str(html)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=540,
    )
    seconds = time.perf_counter() - started
    assert build.returncode == 0, f"the site build failed (sphinx exit {build.returncode}):\n{build.stderr[-4000:]}"
    size = sum(path.stat().st_size for path in html.rglob("*") if path.is_file())
    summary = {"build_seconds": round(seconds, 1), "size_bytes": size, "html_pages": len(list(html.rglob("*.html")))}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}/", html, src, summary)
    finally:
        server.shutdown()
        server.server_close()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")


class Reader:
    """A browser tab that may load only the site, and remembers every load that went wrong."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._only_the_site)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _only_the_site(self, route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.problems.append(f"network: the page asked for {route.request.url}")
            route.abort()

    def visit(self, path: str) -> list[str]:
        """Open a page of the site; what went wrong while it loaded (nothing, for a good page)."""
        self.problems.clear()
        response = self.page.goto(self.base + path, wait_until="load")
        if response is None or not response.ok:
            return [f"HTTP {response and response.status}"]
        self.page.wait_for_load_state("networkidle")
        return list(self.problems)

    def open(self, path: str) -> None:
        problems = self.visit(path)
        assert problems == [], f"{path}: {problems}"

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def reader(browser, site):
    reader = Reader(browser, site.base)
    yield reader
    reader.context.close()


def page_path(source: Path) -> str:
    return source.relative_to(ROOT).with_suffix(".html").as_posix()


def test_the_build_loads_nothing_from_the_network(site):
    """No page of the built site names a script, stylesheet, image or font on another host."""
    html = site.html
    remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)
    css_remote = re.compile(r"""url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""", re.I)
    offenders = [str(path.relative_to(html)) for path in html.rglob("*.html") if remote.search(path.read_text())]
    offenders += [str(path.relative_to(html)) for path in html.rglob("*.css") if css_remote.search(path.read_text())]
    assert offenders == []
    lessons, guides = site.src.glob("notebooks/[0-9][0-9]_*.ipynb"), site.src.glob("docs/*.md")
    expected = [
        "README.html",
        *(path.relative_to(site.src).with_suffix(".html").as_posix() for path in [*lessons, *guides]),
    ]
    assert [page for page in expected if not (html / page).is_file()] == []
    site.summary["course_pages"] = len(expected)


@pytest.mark.parametrize("source", [ROOT / "README.md", *GUIDES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_home_and_guides_render(site, reader, source):
    reader.open(page_path(source))
    title = next(line[2:] for line in site.source(source).read_text().splitlines() if line.startswith("# "))
    assert reader.page.locator("h1").first.inner_text().strip().rstrip("#").strip() == title.strip().strip("`")
    # No math rendering: a bare $ is text, as JupyterLab and GitHub show it.
    assert reader.page.locator(".math, mjx-container").count() == 0
    reader.screenshot(source.relative_to(ROOT).with_suffix("").as_posix().replace("/", "_"))


def test_the_home_page_shows_prices_as_text(site, reader):
    reader.open("README.html")
    for price in re.findall(r"\$\d+(?:\.\d+)?", site.source(ROOT / "README.md").read_text()):
        assert price in reader.page.inner_text("main"), f"{price} is not on the home page as text"


def test_the_navigation_follows_the_lesson_numbers(site, reader):
    reader.open("")  # the site's root, index.html, leads to the home page
    reader.page.wait_for_url(f"{site.base}README.html")
    hrefs = reader.page.eval_on_selector_all("nav.bd-docs-nav a.reference", "links => links.map(a => a.href)")
    lessons = [urlsplit(href).path.lstrip("/") for href in hrefs if "/notebooks/" in href]
    built = sorted(site.src.glob("notebooks/[0-9][0-9]_*.ipynb"))
    assert lessons == [path.relative_to(site.src).with_suffix(".html").as_posix() for path in built]
    guides = [urlsplit(href).path.lstrip("/") for href in hrefs if "/docs/" in href]
    assert sorted(guides) == sorted(
        path.relative_to(site.src).with_suffix(".html").as_posix() for path in site.src.glob("docs/*.md")
    )


CELLS = """() => Array.from(document.querySelectorAll('div.cell')).map(cell => ({
  raises: cell.classList.contains('tag_raises-exception'),
  tracebacks: cell.querySelectorAll('.cell_output .output.traceback').length,
  traceback_text: Array.from(cell.querySelectorAll('.cell_output')).some(o => o.innerText.includes('Traceback')),
  highlighted: cell.querySelectorAll('.cell_input pre span[class]').length > 0,
}))"""


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_lesson_reads_as_in_jupyterlab(site, reader, lesson):
    built = site.source(lesson)
    notebook = nbformat.read(built, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    reader.open(page_path(lesson))
    page = reader.page

    cells = page.evaluate(CELLS)
    assert len(cells) == len(code), "every code cell of the notebook is on the page"
    assert all(cell["highlighted"] for cell in cells if cell), "code cells are syntax-highlighted"

    # Errors only where the lesson raises one on purpose, and each stored error is shown there.
    for number, (shown, stored) in enumerate(zip(cells, code, strict=True)):
        errors = sum(output.output_type == "error" for output in stored.outputs)
        tagged = "raises-exception" in stored.metadata.get("tags", [])
        assert shown["raises"] == tagged, f"code cell {number}: the tag is not on the page"
        assert shown["tracebacks"] == errors, f"code cell {number}: {errors} stored errors, {shown['tracebacks']} shown"
        if not tagged:
            assert not shown["traceback_text"], f"code cell {number} shows a traceback but is not tagged to raise"

    # Stored HTML tables (pandas) are tables on the page, not their text form.
    tables = sum("<table" in output.get("data", {}).get("text/html", "") for cell in code for output in cell.outputs)
    assert page.locator(".cell_output table").count() >= tables

    # Prices written \$1.35 in the Markdown read $1.35; nothing is typeset as math.
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    text = page.inner_text("main")
    assert "\\$" not in text
    for amount in re.findall(r"\\\$(\d[\d.,]*\d|\d)", prose):
        assert f"${amount}" in text, f"${amount} is not on the page as text"
    assert page.locator(".math, mjx-container").count() == 0

    # A live widget's place says that the live view needs JupyterLab; the page keeps its text form.
    widgets = sum(any(is_widget_output(output) for output in cell.outputs) for cell in code)
    assert page.locator(".live-view-note").count() == widgets
    assert page.locator("text=Error displaying widget").count() == 0

    # The page links to the notebook it shows, and the link serves that very file.
    link = page.locator(f'.notebook-source a[href$="/{lesson.name}"]')
    assert link.count() == 1, "the note under the title links to the notebook"
    served = reader.context.request.get(link.evaluate("a => a.href"))
    assert served.ok and served.body() == built.read_bytes()

    reader.screenshot(lesson.stem)


def test_lesson_09_charts_load(site, reader):
    lesson = next(path for path in LESSONS if path.name.startswith("09_"))
    notebook = nbformat.read(site.source(lesson), as_version=4)
    charts = sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))
    assert charts > 0, f"{lesson.name} stores no chart"
    reader.open(page_path(lesson))
    images = reader.page.locator(".cell_output img")
    assert images.count() == charts
    for index in range(charts):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), f"chart {index} did not load"
    images.first.scroll_into_view_if_needed()
    reader.screenshot(f"{lesson.stem}-chart")


LINKS_AND_IDS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
})"""


def test_every_internal_link_resolves(site, reader):
    """From the home page, follow every link to the site: each page loads cleanly, each file is served, and each
    #fragment names an element of its page."""
    base = site.base
    pending = [("README.html", "(start)"), ("search.html", "(start)")]
    seen, ids, fragments, files, broken, links = set(), {}, set(), {}, [], 0
    while pending:
        path, referrer = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        problems = reader.visit(path)
        if problems:
            broken.append(f"{path} (linked from {referrer}): {problems}")
            continue
        found = reader.page.evaluate(LINKS_AND_IDS)
        ids[path] = set(found["ids"])
        for href in found["links"]:
            if not href.startswith(base):
                continue  # a page elsewhere (Microsoft Learn, a GitHub repository): not loaded offline
            links += 1
            target, fragment = urldefrag(href)
            target = target[len(base) :] or "index.html"
            if target.endswith("/"):
                target += "index.html"
            if target.endswith(".html"):
                pending.append((target, path))
                if fragment:
                    fragments.add((path, href, target, fragment))
            else:
                files.setdefault(target, path)
    broken += [
        f"{page}: {href} (no such id)"
        for page, href, target, fragment in sorted(fragments)
        if target in ids and fragment not in ids[target]
    ]
    for target, referrer in sorted(files.items()):
        response = reader.context.request.get(base + target)
        if not response.ok:
            broken.append(f"{target} (linked from {referrer}): HTTP {response.status}")
    assert broken == [], "links to nothing:\n" + "\n".join(broken)
    assert {page_path(lesson) for lesson in LESSONS} <= seen, "every lesson is reachable from the home page"
    site.summary.update(
        pages_opened=len(seen),
        internal_links_checked=links,
        distinct_files_checked=len(files),
        fragments_checked=len(fragments),
    )


def test_the_search_works_offline(site, reader):
    """Sphinx's own search runs in the page, on an index shipped with the site."""
    reader.open("search.html?q=streaming")
    results = reader.page.locator("#search-results li a")
    results.first.wait_for(timeout=20_000)
    assert "notebooks/06_streaming.html" in [
        urlsplit(href).path.lstrip("/") for href in results.evaluate_all("links => links.map(a => a.href)")
    ]
