"""A JupyterLab server on loopback and headless Chromium, for the tests that look at the course in a browser.

The server runs the kernel in recorded mode with no delays, on a temporary copy of ``notebooks/``, with its
own settings, workspace and runtime folders, so nothing of the developer's own Jupyter setup leaks in.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys

import pytest
from conftest_support import CHROMIUM, CHROMIUM_ARGS, HERE, LAB_SETTINGS, ROOT, lab_environment, wait_until_up  # noqa: F401

from recorded_endpoint.server import free_port


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (headless Chromium) against JupyterLab")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install -y chromium)"
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of notebooks/; yields (base URL, token, notebook folder)."""
    home = tmp_path_factory.mktemp("lab")
    notebooks = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    token, port = secrets.token_hex(16), free_port()
    env = lab_environment(home)
    command = [
        sys.executable, "-m", "jupyter", "lab", f"--config={HERE / 'jupyter_server_config.py'}",
        f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebooks}",
    ]
    log = (home / "jupyter.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=notebooks)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, token, server, home / "jupyter.log")
        yield base, token, notebooks
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
