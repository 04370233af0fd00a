"""Run the recorded endpoint: in a background thread for a notebook or a test, or in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .app import ReplayConfig, Timing, create_app
from .background import BackgroundServer, Certificates, free_port, make_certificates
from .constants import DEFAULT_API_KEY, LOOPBACK
from .limits import room_connection_limit
from .management import ManagementPlane
from .recordings import RECORDINGS_DIR, RecordingLibrary
from .responses import routes as responses_routes
from .wire import StreamDropped

__all__ = ["Certificates", "ReplayServer", "build_config", "free_port", "make_certificates"]

SHORT_KEY_CHARS = 16


def build_config(
    api_key: str = DEFAULT_API_KEY,
    timing: str = "none",
    recordings_dir: Path = RECORDINGS_DIR,
) -> ReplayConfig:
    return ReplayConfig(RecordingLibrary.from_directory(recordings_dir), api_key, Timing.parse(timing))


def _management_routes(api_key: str) -> list:
    return ManagementPlane(api_key=api_key).routes


class ReplayServer(BackgroundServer):
    """The recorded endpoint on a local port, served by uvicorn in a daemon thread (or the foreground).

    Beyond loopback (a workshop room) it needs a key of its own and limits the connections it holds
    (``max_connections``, then 503) so a room of learners, or one misbehaving client, cannot exhaust it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        timing: str = "none",
        tls: bool = False,
        recordings_dir: Path = RECORDINGS_DIR,
        max_connections: int | None = None,
        **uvicorn_options: Any,
    ) -> None:
        room = host not in LOOPBACK
        if room and api_key == DEFAULT_API_KEY:
            raise ValueError(
                f"Listening on {host} lets other machines in: choose a key with --api-key (and share it with the room)."
            )
        if room and len(api_key) < SHORT_KEY_CHARS:
            shortness = f"the room key has {len(api_key)} characters; {SHORT_KEY_CHARS} or more are harder to guess"
            print(f"Warning: {shortness}.", file=sys.stderr)
        if max_connections is None and room:
            max_connections = room_connection_limit()
        self.api_key = api_key
        self.config = build_config(api_key, timing, Path(recordings_dir))
        super().__init__(
            create_app(self.config, [*responses_routes(), *_management_routes(api_key)]),
            host=host,
            port=port,
            tls=tls,
            hide=(StreamDropped,),
            limit_concurrency=max_connections,
            **uvicorn_options,
        )

    def start(self, timeout_s: float = 10.0) -> ReplayServer:
        super().start(timeout_s)
        return self

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (the ``serve`` command)."""
        self.run(log_level="info")

    def __enter__(self) -> ReplayServer:
        return self.start()
