"""Helpers for the DeepSeek-R1 on Azure AI Foundry course.

Start every notebook with::

    import helpers
    settings = helpers.setup()

In recorded mode (nothing configured) this starts the recorded endpoint in the background and points the
standard environment variables at it; in live mode (``.env`` filled in) it only checks the settings.
"""

from __future__ import annotations

import os
import warnings

from .settings import Settings, SettingsError, load_settings, read_environment

__all__ = ["Settings", "SettingsError", "load_settings", "setup", "recorded_server"]

_server = None


def recorded_server():
    """The recorded endpoint this kernel started, or None in live mode."""
    return _server


def setup(timing: str | None = None, quiet: bool = False) -> Settings:
    """Load the settings and, in recorded mode, start the recorded endpoint; print one line saying which.

    ``timing`` sets how the recorded endpoint paces streamed chunks: ``"recorded"`` (as a live deployment
    would, the default), ``"none"`` (as fast as possible; the tests use it) or ``"scaled:10"``.
    The environment variable ``REPLAY_TIMING`` sets the same.
    """
    global _server
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    settings = load_settings()
    if settings.mode == "recorded":
        if _server is None:
            from recorded_endpoint import environment_for, start

            _server = start(timing=timing or read_environment().get("REPLAY_TIMING") or "recorded")
            os.environ.update(environment_for(_server, settings.deployment))
        settings = load_settings()
        if not quiet:
            print(f"Recorded mode: DeepSeek-R1 answers are replayed by the recorded endpoint at {_server.url}.")
    else:
        export_live_environment(settings)
        if not quiet:
            print(f"Live mode: {settings.summary()}")
    return settings


def export_live_environment(settings: Settings) -> None:
    """Make ``.env`` values (and the derived inference endpoint) visible to code that reads ``os.environ``.

    The seeds' own snippets read ``os.environ["AZURE_INFERENCE_ENDPOINT"]`` and friends; values already in
    the environment win over ``.env``, as python-dotenv does.
    """
    for name, value in read_environment().items():
        _fill(name, value)
    _fill("AZURE_INFERENCE_ENDPOINT", settings.inference_endpoint)
    _fill("AZURE_INFERENCE_CREDENTIAL", settings.inference_key)
    _fill("AZURE_DEEPSEEK_DEPLOYMENT", settings.deployment)


def _fill(name: str, value: str | None) -> None:
    # An empty value (a blank line of .env.sample) counts as "not set", so a derived value can take its place.
    if value and not os.environ.get(name):
        os.environ[name] = value
