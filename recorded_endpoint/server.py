"""Run the recorded endpoint: in a background thread for a notebook or a test, or in the foreground."""

from __future__ import annotations

import logging
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from .app import ReplayConfig, Timing, create_app
from .constants import DEFAULT_API_KEY, LOOPBACK
from .management import ManagementPlane
from .recordings import RECORDINGS_DIR, RecordingLibrary
from .wire import StreamDropped


class _HideDroppedStreams(logging.Filter):
    """A stream cut on purpose is part of a lesson, not a server failure worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamDropped))


logging.getLogger("uvicorn.error").addFilter(_HideDroppedStreams())


@dataclass(frozen=True)
class Certificates:
    """A throwaway certificate authority and the server certificate it signed, as files."""

    ca_bundle: Path  # the system's trusted roots plus this CA, for clients
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """Issue a certificate for 127.0.0.1/localhost from a fresh CA (``trustme``), valid for this run only."""
    import trustme

    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost", "::1")
    cert, key, bundle = directory / "server.pem", directory / "server.key", directory / "ca-bundle.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    system_roots = Path(ssl.get_default_verify_paths().openssl_cafile or "")
    roots = system_roots.read_bytes() if system_roots.is_file() else b""
    bundle.write_bytes(roots + b"\n" + ca.cert_pem.bytes())
    return Certificates(bundle, cert, key)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def build_config(
    api_key: str = DEFAULT_API_KEY,
    timing: str = "none",
    recordings_dir: Path = RECORDINGS_DIR,
) -> ReplayConfig:
    return ReplayConfig(RecordingLibrary.from_directory(recordings_dir), api_key, Timing.parse(timing))


def _management_routes(api_key: str) -> list:
    return ManagementPlane(api_keys=(api_key, f"{api_key}-2")).routes


class ReplayServer:
    """The recorded endpoint on a local port, served by uvicorn in a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        timing: str = "none",
        tls: bool = False,
        recordings_dir: Path = RECORDINGS_DIR,
    ) -> None:
        if host not in LOOPBACK and api_key == DEFAULT_API_KEY:
            raise ValueError(
                f"Listening on {host} lets other machines in: choose a key with --api-key (and share it with the room)."
            )
        self.host = host
        self.port = port or free_port(host)
        self.api_key = api_key
        self.config = build_config(api_key, timing, Path(recordings_dir))
        self.app = create_app(self.config, _management_routes(api_key))
        self.certificates: Certificates | None = None
        if tls:
            self.certificates = make_certificates(Path(tempfile.mkdtemp(prefix="replay-tls-")))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.certificates else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"{scheme}://{host}:{self.port}"

    def uvicorn_config(self, log_level: str = "warning") -> uvicorn.Config:
        tls = {}
        if self.certificates:
            tls = {"ssl_certfile": str(self.certificates.cert), "ssl_keyfile": str(self.certificates.key)}
        return uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level=log_level, access_log=False, lifespan="off", **tls
        )

    def start(self, timeout_s: float = 10.0) -> ReplayServer:
        """Start serving in a background thread and wait until the port accepts connections."""
        self._server = uvicorn.Server(self.uvicorn_config())
        self._thread = threading.Thread(target=self._server.run, name="recorded-endpoint", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The recorded endpoint did not start on {self.host}:{self.port}.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server and self._thread:
            # Clients keep idle connections open; without force_exit uvicorn waits for them.
            self._server.should_exit = self._server.force_exit = True
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (the ``serve`` command)."""
        uvicorn.Server(self.uvicorn_config(log_level="info")).run()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
