"""A small Sphinx extension for the course's site: navigation and the notes a static lesson page needs.

- The README (the home page) gets hidden tables of contents: the lessons in the order of their numbers,
  then the guides in ``docs/``. Whatever notebooks exist are listed, so a new lesson needs no edit here.
- Each lesson gets a note under its first cell naming the notebook on disk, with a download link to it.
- Each cell whose stored output is a live widget (ipywidgets: the Thinking panel, the chat app) gets a note
  saying that the live view needs JupyterLab; the page keeps the widget's text form, as stored.
- An image on another host (the README's Codespaces badge) becomes its alt text, so no page loads anything
  from the network; a link around it stays a link.

Everything is added to the text Sphinx reads, never to the files on disk.
"""

from __future__ import annotations

import re
from functools import cache

import nbformat
from docutils import nodes
from sphinx.application import Sphinx

LESSONS = re.compile(r"^notebooks/\d\d_[^/]+$")
# The guides in the order a reader wants them; any other page in docs/ follows, alphabetically.
GUIDE_ORDER = ["sources", "wire_format", "architecture", "instructor_guide", "recording"]

NOTEBOOK_NOTE = """:::{{note}}
:class: notebook-source
This page is the notebook `notebooks/{name}` as stored in the repository, with the outputs the course's
tests check; nothing on it was re-run. {{download}}`Download {name} <{name}>`, or open it in JupyterLab
with `make lab` to run it.
:::"""

WIDGET_NOTE = """:::{note}
:class: live-view-note
In JupyterLab this cell shows a live view made of widgets (ipywidgets). A static page cannot run widgets,
so above is the widget's plain-text form, as the notebook stores it. Open the notebook in JupyterLab to see
the live view.
:::"""


def setup(app: Sphinx) -> dict:
    app.connect("source-read", add_navigation_and_notes)
    # Before Sphinx's own handlers note the page's images.
    app.connect("doctree-read", remote_images_as_text, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def add_navigation_and_notes(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == app.config.root_doc:
        source[0] += navigation(sorted(app.env.found_docs))
    elif LESSONS.match(docname):
        source[0] = with_notes(source[0], docname.rsplit("/", 1)[1] + ".ipynb")


def navigation(docnames: list[str]) -> str:
    """Hidden toctrees for the home page: the lessons by number, then the guides."""
    lessons = [name for name in docnames if LESSONS.match(name)]
    guides = [name for name in docnames if name.startswith("docs/")]
    rank = {f"docs/{stem}": index for index, stem in enumerate(GUIDE_ORDER)}
    guides.sort(key=lambda name: (rank.get(name, len(rank)), name))
    return "".join(toctree(caption, names) for caption, names in (("Lessons", lessons), ("Guides", guides)) if names)


def toctree(caption: str, docnames: list[str]) -> str:
    entries = "\n".join(docnames)
    return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```\n"


def with_notes(text: str, name: str) -> str:
    """The notebook's JSON with the page's notes added as Markdown cells."""
    notebook = nbformat.reads(text, as_version=4)
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type == "code" and any(is_widget_output(output) for output in cell.outputs):
            cells.append(nbformat.v4.new_markdown_cell(WIDGET_NOTE))
    cells.insert(1, nbformat.v4.new_markdown_cell(NOTEBOOK_NOTE.format(name=name)))
    notebook.cells = cells
    return nbformat.writes(notebook)


def remote_images_as_text(app: Sphinx, doctree: nodes.document) -> None:
    for image in list(doctree.findall(nodes.image)):
        if re.match(r"^(?:[a-z]+:)?//", image["uri"]):
            image.replace_self(nodes.inline(text=image.get("alt") or image["uri"], classes=["remote-image"]))


def is_widget_output(output: dict) -> bool:
    """A display of an ipywidgets widget: its stored text is the widget's repr, ``VBox(children=…)``."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        return True
    return bool(widget_repr().match(data.get("text/plain", "")))


@cache
def widget_repr() -> re.Pattern[str]:
    import ipywidgets

    names, pending = set(), [ipywidgets.Widget]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return re.compile(rf"^(?:{'|'.join(sorted(map(re.escape, names)))})\(")
