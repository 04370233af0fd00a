"""Tidy executed notebooks before they are committed (``make regen`` runs this after executing them).

Widget outputs are stored as a reference to a widget model that only exists in the kernel that drew them;
opened later, JupyterLab shows "Error displaying widget: model not found" in their place. Dropping the
reference keeps the text rendering of the widget, which is what a reader of the stored notebook can use.

    python tests/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The kernel's own display name: JupyterLab rewrites a different one when the kernel starts, and the lesson's
# tab then shows "modified" before the learner has done anything.
REPO_ROOT = str(Path(__file__).resolve().parent.parent) + "/"
# Where the stored tracebacks point: the learner's own copy, not the machine the outputs were made on.
SITE_PACKAGES = re.compile(r"/[^\s\x1b]*?/site-packages/")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def tidy(path: str) -> bool:
    """Drop widget-view references and execution timestamps from one notebook, name the kernel as JupyterLab
    does; True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        # nbconvert's per-cell timestamps change at every run and tell a reader nothing.
        if cell.get("metadata", {}).pop("execution", None) is not None:
            changed = True
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                traceback = output["traceback"]
                lines = [SITE_PACKAGES.sub("site-packages/", line).replace(REPO_ROOT, "") for line in traceback]
                if lines != traceback:
                    output["traceback"] = lines
                    changed = True
            if WIDGET_VIEW in output.get("data", {}):
                del output["data"][WIDGET_VIEW]
                changed = True
    if notebook.metadata.pop("widgets", None) is not None:
        changed = True
    if notebook.metadata.get("kernelspec") != KERNELSPEC:
        notebook.metadata["kernelspec"] = dict(KERNELSPEC)
        changed = True
    if changed:
        nbformat.write(notebook, path)
    return changed


if __name__ == "__main__":
    for path in sys.argv[1:]:
        if tidy(path):
            print(f"tidied {path}")
