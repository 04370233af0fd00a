"""The ``record`` command: ``python -m recorded_endpoint record [--out DIR] [--prefix P] [-- COMMAND …]``."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .proxy import RecordingProxy, Upstream, Upstreams, root_of
from .writing import STAGING_DIR


def upstreams_from_settings() -> tuple[Upstreams, Any]:
    """The live endpoints and keys from ``.env`` and the environment, as the course reads them."""
    from helpers.settings import load_settings, read_environment

    settings = load_settings()
    if settings.mode != "live":
        raise ValueError(
            "Record mode needs a live deployment: fill in AZURE_OPENAI_ENDPOINT (and a key, or "
            "COURSE_AUTH=entra) in .env, and do not set COURSE_MODE=recorded."
        )
    source = read_environment()
    provider = None
    base = (source.get("DEEPINFRA_BASE_URL") or "").rstrip("/")
    if base.endswith("/v1/openai") and source.get("DEEPINFRA_TOKEN"):
        provider = Upstream(root_of(base), source["DEEPINFRA_TOKEN"])
    upstreams = Upstreams(
        azure=Upstream(settings.endpoint, settings.api_key),
        inference=Upstream(root_of(settings.inference_endpoint), settings.inference_key),
        provider=provider,
    )
    return upstreams, settings


def run_record(args: argparse.Namespace) -> int:
    """The ``record`` command: run the proxy for a command, or in the foreground until Ctrl+C."""
    try:
        upstreams, settings = upstreams_from_settings()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    proxy = RecordingProxy(
        upstreams,
        Path(args.out),
        port=args.port,
        prefix=args.prefix,
        tls=args.tls,
        model_version=getattr(args, "model_version", None),
    )
    inference_path = urlsplit(settings.inference_endpoint).path.rstrip("/")
    env = proxy.environment(settings.deployment, settings.auth, inference_path)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    print(
        f"Recording proxy on {proxy.url}, in front of the live deployment {settings.deployment!r}; "
        f"writing to {args.out}"
    )
    with proxy:
        if command:
            returncode = subprocess.run(command, env={**os.environ, **env}, check=False).returncode
        else:
            print("Point a client at it with these (the key is a throwaway for this proxy only):\n")
            for name, value in env.items():
                print(f"export {name}={shlex.quote(value)}")
            print("\nPress Ctrl+C to stop.", flush=True)
            returncode = 0
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    print(proxy.summary())
    if proxy.writer.refused:
        return 3
    return returncode


def add_record_command(commands: Any) -> None:
    """Add ``record`` to the ``python -m recorded_endpoint`` command line."""
    parser = commands.add_parser(
        "record",
        help="refresh recordings from the live deployment in .env (costs money)",
        description="Run a recording proxy in front of the live deployment. With a COMMAND after --, run it "
        "pointed at the proxy (e.g. executing notebooks) and stop when it ends.",
    )
    parser.add_argument(
        "--out",
        default=str(STAGING_DIR),
        help="folder for the new recordings (default build/recordings/, to review before copying them "
        "into recorded_endpoint/recordings/)",
    )
    parser.add_argument("--prefix", default="rec-", help="file name prefix of new recordings (default rec-)")
    parser.add_argument("--port", type=int, default=0, help="local port (default: a free one)")
    parser.add_argument("--tls", action="store_true", help="serve https (needed for Entra ID with azure-ai-inference)")
    parser.add_argument(
        "--model-version",
        help="the deployment's model version, written into each recording's model (e.g. 1); the answers "
        "name the model but not its version",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to run against the proxy")
    parser.set_defaults(run=run_record)
