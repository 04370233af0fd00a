"""Shared fixtures: one recorded endpoint (https, throwaway CA) for the whole test session."""

from __future__ import annotations

import os

import pytest

from helpers.replay import ReplayServer, environment_for


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
