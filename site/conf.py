"""Sphinx configuration for the course's static site (``make site``).

The source folder is the repository itself: the README is the home page, every lesson is the committed
notebook with its stored outputs (myst-nb renders them and never runs a cell), and the guides in ``docs/``
are pages of their own. ``course_site.py`` beside this file builds the navigation and adds the notes a
static page needs (where the notebook is, where a live widget would be).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def readme_title() -> str:
    """The README's H1, so the site's title follows the course's own."""
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return "The course"


project = readme_title()
html_title = project
root_doc = "README"
extensions = ["myst_nb", "course_site"]

# Only the course's pages; the pruned folders are never walked (.venv alone holds tens of thousands of files).
include_patterns = ["README.md", "notebooks/[0-9][0-9]_*.ipynb", "docs/*.md"]
exclude_patterns = [
    ".venv",
    ".git",
    "build",
    "site",
    "tests",
    "bench",
    "helpers",
    "recorded_endpoint",
    "infra",
    "**/.ipynb_checkpoints",
    "*.egg-info",
]

# The outputs shown are the ones stored in the notebooks, which nbval checks: never re-executed here.
nb_execution_mode = "off"
nb_output_stderr = "show"
# No "dollarmath": lessons write prices as \$1.35 or USD 1.35, and a bare $ is text, as in JupyterLab.
# "linkify": a bare https:// address is a link, as JupyterLab shows it (but not "settings.py" or "e.g.").
myst_enable_extensions = ["colon_fence", "linkify"]
myst_linkify_fuzzy_links = False
myst_heading_anchors = 3

# Every internal link must resolve: a missing page or reference is a build warning, and the build fails on it.
nitpicky = True
# Code blocks in the guides that elide JSON with "…" are still highlighted, in Pygments' relaxed mode.
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,
}
# The download button serves the notebook itself (…/_sources/notebooks/NN_name.ipynb), not a .txt copy.
html_sourcelink_suffix = ""
# Light, as JupyterLab opens; also spares the theme's "invalid theme mode" console error on a first visit.
html_context = {"default_mode": "light"}
html_last_updated_fmt = None
html_static_path: list[str] = []
html_additional_pages = {"index": "redirect_home.html"}
# No general or domain index: the course defines no index entries, so those pages would be empty.
html_use_index = False
html_domain_indices = False
templates_path = ["_templates"]
