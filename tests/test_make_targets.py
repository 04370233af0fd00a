"""The Makefile's promises to a learner: `make env` never replaces a `.env`, `make restore` loses nothing,
`make lab` adds --allow-root only for root and opens the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (shutil.which("make") and shutil.which("git")), reason="needs make and git")


def make(directory: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=directory, env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip


def test_make_env_creates_env_once_and_never_replaces_it(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / ".env.sample", tmp_path)
    assert "Created .env" in make(tmp_path, "env").stdout
    assert (tmp_path / ".env").read_text() == (ROOT / ".env.sample").read_text()
    (tmp_path / ".env").write_text("AZURE_OPENAI_API_KEY=the-learners-own\n")
    assert "kept as it is" in make(tmp_path, "env").stdout
    assert (tmp_path / ".env").read_text() == "AZURE_OPENAI_API_KEY=the-learners-own\n"


def test_make_restore_puts_the_lessons_back_and_keeps_a_copy(tmp_path):
    clone = tmp_path / "course"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    shutil.copy(ROOT / "Makefile", clone)  # the Makefile under test, committed or not
    assert "nothing to restore" in make(clone, "restore").stdout
    lesson = clone / "notebooks" / "00_start_here.ipynb"
    stored = lesson.read_text()
    lesson.write_text(stored.replace('"execution_count": 1,', '"execution_count": 99,', 1))
    (clone / ".env").write_text("AZURE_OPENAI_API_KEY=kept\n")
    done = make(clone, "restore")
    assert "notebooks/00_start_here.ipynb" in done.stdout and "Restored" in done.stdout
    assert lesson.read_text() == stored
    [backup] = (clone / "build" / "restore-backup").glob("*/00_start_here.ipynb")
    assert '"execution_count": 99,' in backup.read_text()
    assert (clone / ".env").read_text() == "AZURE_OPENAI_API_KEY=kept\n"


def test_make_lab_adds_allow_root_only_for_root():
    command = make(ROOT, "-n", "lab", "STAMP=Makefile").stdout.strip().splitlines()[-1]  # STAMP: skip the install
    assert command.startswith(".venv/bin/jupyter lab --config=jupyter_lab_config.py")
    assert command.endswith("--allow-root") == (os.getuid() == 0)


def test_the_lab_config_roots_the_file_browser_at_the_repository_and_opens_lesson_00():
    from traitlets.config import Config

    namespace = {"get_config": Config, "__file__": str(ROOT / "jupyter_lab_config.py")}
    exec((ROOT / "jupyter_lab_config.py").read_text(), namespace)
    config = namespace["c"]
    assert config.ServerApp.root_dir == str(ROOT)
    assert config.LabApp.default_url.startswith("/lab/tree/notebooks/00_start_here.ipynb")
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


def test_no_documented_command_replaces_an_existing_env():
    import re

    documents = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "notebooks").glob("*.ipynb")]
    replacing = re.compile(r"(?<!-n )(?<!if not exist \.env )\b(cp|copy) \.env\.sample \.env")
    for document in documents:
        found = replacing.search(document.read_text(encoding="utf-8"))
        assert not found, f"{document.name}: {found.group(0)!r} replaces a learner's .env: use `make env` or cp -n"
