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
from pathlib import Path

from .settings import Settings, SettingsError, load_settings, read_environment

__all__ = ["Settings", "SettingsError", "load_settings", "setup", "recorded_server"]

_server = None


def recorded_server():
    """The recorded endpoint this kernel uses (shared, or its own), or None in live mode."""
    return _server


def setup(timing: str | None = None, quiet: bool = False, env_file: str | Path | None = None) -> Settings:
    """Load the settings and, in recorded mode, connect to the recorded endpoint; print one line saying which.

    ``timing`` sets how the recorded endpoint paces streamed chunks: ``"recorded"`` (as a live deployment
    would, the default), ``"none"`` (as fast as possible; the tests use it) or ``"scaled:10"``.
    The environment variable ``REPLAY_TIMING`` sets the same.
    ``env_file`` reads another file instead of the repository's ``.env`` (e.g. one per workshop room).

    In recorded mode all open lessons share one recorded endpoint (see `helpers.shared_endpoint`); with
    ``COURSE_SHARED_ENDPOINT=0`` each kernel starts its own. In a notebook, the course's errors (an unrecorded
    request, a wrong endpoint, key or deployment) then show as a short message (see `helpers.errors`).
    """
    global _server
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    settings = load_settings(env_file)
    if settings.mode == "recorded":
        if _server is None or not _answers(_server):
            environment = read_environment(env_file)
            _server = _recorded_endpoint(timing or environment.get("REPLAY_TIMING") or "recorded", environment)
            os.environ.update(_environment_for(_server, settings.deployment))
        settings = load_settings(env_file)
        if not quiet:
            print(f"Recorded mode: DeepSeek-R1 answers are replayed by the recorded endpoint at {_server.url}.")
    else:
        export_live_environment(settings, env_file)
        if not quiet:
            summary = settings.summary()  # "live mode · host · deployment ..."
            print(summary[0].upper() + summary[1:])
            from .lifecycle import check_model

            warning = check_model(settings.model, settings.model_version)  # retired, retiring soon, or unknown
            if warning:
                print(f"Warning: {warning}")
    from .errors import install

    install(settings)
    return settings


def _recorded_endpoint(timing: str, environment: dict[str, str | None]):
    """The machine's shared recorded endpoint for `timing`, or one of this kernel's own if sharing is off."""
    if (environment.get("COURSE_SHARED_ENDPOINT") or "1").strip() != "0":
        from .shared_endpoint import connect

        try:
            return connect(timing)
        except Exception as error:  # noqa: BLE001 - any failure to share: the lesson still gets an endpoint
            print(f"(The shared recorded endpoint could not be used: {error}. Starting one in this kernel.)")
    from recorded_endpoint import start

    return start(timing=timing)


def _environment_for(server, deployment: str) -> dict[str, str]:
    """The variables that point the course at `server`; a shared one wrote them in its discovery file."""
    from .shared_endpoint import SharedEndpoint

    if isinstance(server, SharedEndpoint):
        return {**server.environment, "AZURE_DEEPSEEK_DEPLOYMENT": deployment}
    from recorded_endpoint import environment_for

    return environment_for(server, deployment)


def _answers(server) -> bool:
    """Whether the endpoint this kernel uses is still there (a shared one may have been stopped)."""
    from .shared_endpoint import SharedEndpoint, healthy

    return healthy(server) if isinstance(server, SharedEndpoint) else True


def export_live_environment(settings: Settings, env_file: str | Path | None = None) -> None:
    """Make ``.env`` values (and the derived inference endpoint) visible to code that reads ``os.environ``.

    The seeds' own snippets read ``os.environ["AZURE_INFERENCE_ENDPOINT"]`` and friends; values already in
    the environment win over ``.env``, as python-dotenv does.
    """
    for name, value in read_environment(env_file).items():
        _fill(name, value)
    _fill("AZURE_INFERENCE_ENDPOINT", settings.inference_endpoint)
    _fill("AZURE_INFERENCE_CREDENTIAL", settings.inference_key)
    _fill("AZURE_DEEPSEEK_DEPLOYMENT", settings.deployment)


def _fill(name: str, value: str | None) -> None:
    # An empty value (a blank line of .env.sample) counts as "not set", so a derived value can take its place.
    if value and not os.environ.get(name):
        os.environ[name] = value
