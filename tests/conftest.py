"""Shared fixtures: one recorded endpoint (https, throwaway CA) for the whole test session."""

from __future__ import annotations

import os
import sys

import pytest

from recorded_endpoint import ReplayServer, environment_for

if sys.__stdin__ is None:
    # Started with standard input closed, as CI runners may do. pytest's stand-in for stdin then fails when
    # IPython (imported by ipywidgets) asks it for an encoding; an empty stdin is what the tests expect anyway.
    sys.__stdin__ = open(os.devnull)  # noqa: SIM115 - lives as long as the test process


@pytest.fixture(scope="session")
def replay_server():
    with ReplayServer(tls=True) as server:
        yield server


@pytest.fixture
def replay_env(replay_server, monkeypatch):
    """The process environment pointed at the session's recorded endpoint, as ``helpers.setup()`` does."""
    for name, value in environment_for(replay_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COURSE_AUTH", raising=False)
    return dict(os.environ)
