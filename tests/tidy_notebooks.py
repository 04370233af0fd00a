"""Tidy executed notebooks before they are committed (``make regen`` runs this after executing them).

Widget outputs are stored as a reference to a widget model that only exists in the kernel that drew them;
opened later, JupyterLab shows "Error displaying widget: model not found" in their place. Dropping the
reference keeps the text rendering of the widget, which is what a reader of the stored notebook can use.

    python tests/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The kernel's own display name: JupyterLab rewrites a different one when the kernel starts, and the lesson's
# tab then shows "modified" before the learner has done anything.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def tidy(path: str) -> bool:
    """Drop widget-view references from the outputs of one notebook, name the kernel as JupyterLab does; True if
    it changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
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
