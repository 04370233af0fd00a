"""JupyterLab settings for the course (`make lab` uses them): the repository as the file browser's root,
lesson 00 open at start, and the course's files visible, `.env.sample` included.

    jupyter lab --config=jupyter_lab_config.py           # add --allow-root when running as root
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file

REPOSITORY = Path(__file__).resolve().parent

c.ServerApp.root_dir = str(REPOSITORY)  # helpers/, docs/ and .env.sample sit beside notebooks/
# file-browser-path: the file browser shows the repository, not the lesson's folder.
c.LabApp.default_url = "/lab/tree/notebooks/00_start_here.ipynb?file-browser-path=/"
# Show dot-files such as .env.sample and .env, but not the tool directories next to them.
c.ContentsManager.allow_hidden = True
c.ContentsManager.hide_globs = [
    "__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info",
    ".git", ".venv", ".ci", ".devcontainer", ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints", ".jupyter",
]  # fmt: skip
# JupyterLab's own setting to list hidden files (the server above allows them).
c.LabApp.app_settings_dir = str(REPOSITORY / ".jupyter" / "lab" / "settings")
