"""Shared fixtures: settings that ignore the developer's shell and `.env`, and running recorded endpoints."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from recorded_endpoint import ReplayServer, environment_for

if sys.__stdin__ is None:
    # Started with standard input closed, as CI runners may do. pytest's stand-in for stdin then fails when
    # IPython (imported by ipywidgets) asks it for an encoding; an empty stdin is what the tests expect anyway.
    sys.__stdin__ = open(os.devnull)  # noqa: SIM115 - lives as long as the test process


ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def course_variables() -> frozenset[str]:
    """Every variable the course's settings read: those `.env.sample` documents and those `settings.py` reads."""
    sample = (ROOT / ".env.sample").read_text(encoding="utf-8").splitlines()
    documented = {line.split("=", 1)[0].strip() for line in sample if "=" in line and not line.startswith("#")}
    settings_code = (ROOT / "helpers/settings.py").read_text(encoding="utf-8")
    read = re.findall(r"""source, ["']([A-Z][A-Z0-9_]+)["']""", settings_code)
    return frozenset(documented | set(read))


@pytest.fixture(autouse=True)
def hermetic_settings(monkeypatch, tmp_path_factory) -> Iterator[Path]:
    """No course variable from the developer's shell and an empty `.env`: settings see only what the test sets.

    Every test under tests/ gets it (so the suite passes whatever the shell or `.env` holds); a test that needs
    a value sets it with `monkeypatch.setenv`, or writes it to the file this fixture yields.

    Yields the empty env file (`helpers.settings.ENV_FILE` during the test); write to it to test `.env` values.
    The whole process environment is restored afterwards, including what `helpers.setup()` exported.
    """
    import helpers.settings

    saved = dict(os.environ)
    for name in course_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REPLAY_TIMING", "none")  # a recorded endpoint started by setup() then never waits
    env_file = tmp_path_factory.mktemp("settings") / ".env"  # not in tmp_path, which the test may use whole
    env_file.write_text("", encoding="utf-8")
    monkeypatch.setattr(helpers.settings, "ENV_FILE", env_file)
    yield env_file
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def replay_server():
    """One recorded endpoint over https (throwaway certificate authority) for the whole session."""
    with ReplayServer(tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def http_server():
    """One recorded endpoint over plain http for the session, for tests that point an SDK at it directly."""
    with ReplayServer() as server:
        yield server


@pytest.fixture
def serve_app():
    """``serve_app(app, tls=False, **uvicorn_options)`` runs an ASGI app on a free loopback port for one test
    (``recorded_endpoint.background.BackgroundServer``) and stops it afterwards; returns the server (``.url``)."""
    from recorded_endpoint.background import BackgroundServer

    started: list[BackgroundServer] = []

    def serve(app, tls: bool = False, **uvicorn_options) -> BackgroundServer:
        started.append(BackgroundServer(app, tls=tls, **uvicorn_options).start())
        return started[-1]

    yield serve
    for server in started:
        server.stop()


@pytest.fixture
def replay_env(replay_server, hermetic_settings, monkeypatch):
    """The process environment pointed at the session's recorded endpoint, as ``helpers.setup()`` does."""
    for name, value in environment_for(replay_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COURSE_AUTH", raising=False)
    return dict(os.environ)
