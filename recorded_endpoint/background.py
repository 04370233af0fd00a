"""Run an ASGI app on uvicorn: in a background thread (notebooks, tests, the recorder's proxy) or in the foreground.

:class:`BackgroundServer` is the one place that knows how: it binds the port itself (so port 0 picks a free
port without a race), issues a throwaway TLS certificate when asked (and removes it on stop), installs the
log filters, and applies the connection limits of :mod:`recorded_endpoint.limits`.
"""

from __future__ import annotations

import logging
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from .limits import HeaderDeadlineProtocol


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
    """A port that was free a moment ago (prefer ``BackgroundServer(port=0)``, which cannot race)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class HideExceptions(logging.Filter):
    """Drops log records whose exception is one of ``kinds`` (e.g. a stream cut on purpose in a lesson)."""

    def __init__(self, *kinds: type[BaseException]) -> None:
        super().__init__()
        self.kinds = kinds

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], self.kinds))


def hide_exceptions(*kinds: type[BaseException]) -> None:
    """Keep tracebacks of ``kinds`` out of uvicorn's error log (installed once per kind)."""
    logger = logging.getLogger("uvicorn.error")
    known = {kind for f in logger.filters if isinstance(f, HideExceptions) for kind in f.kinds}
    missing = tuple(kind for kind in kinds if kind not in known)
    if missing:
        logger.addFilter(HideExceptions(*missing))


class BackgroundServer:
    """``app`` served by uvicorn on ``host:port``, optionally over TLS with a throwaway certificate authority.

    ``start()`` serves in a daemon thread and returns once the port accepts connections; ``stop()`` ends it and
    removes the certificate files; ``run()`` serves in the foreground until interrupted. ``uvicorn_options``
    go to ``uvicorn.Config`` (e.g. ``limit_concurrency``, ``timeout_keep_alive``, ``log_level``).
    """

    def __init__(
        self,
        app: Callable[..., Any],
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        hide: tuple[type[BaseException], ...] = (),
        **uvicorn_options: Any,
    ) -> None:
        self.app = app
        self.host = host
        # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that say so, and without it
        # every small answer waits ~40 ms for the client's delayed ACK.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self.certificates: Certificates | None = None
        if tls:
            # TemporaryDirectory also removes itself when the interpreter exits, if stop() is never called.
            self._tls_dir = tempfile.TemporaryDirectory(prefix="replay-tls-")
            self.certificates = make_certificates(Path(self._tls_dir.name))
        self.uvicorn_options = {"log_level": "warning", "access_log": False, "lifespan": "off", **uvicorn_options}
        hide_exceptions(*hide)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http(s)://host:port``, with a wildcard address replaced by loopback (what a local client dials)."""
        scheme = "https" if self.certificates else "http"
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"{scheme}://{host}:{self.port}"

    def uvicorn_config(self, **overrides: Any) -> uvicorn.Config:
        """The ``uvicorn.Config`` this server runs with (TLS files, limits, and the header deadline)."""
        options: dict[str, Any] = {"http": HeaderDeadlineProtocol, "server_header": False, **self.uvicorn_options}
        options.update(overrides)
        if self.certificates:
            options.update(ssl_certfile=str(self.certificates.cert), ssl_keyfile=str(self.certificates.key))
        return uvicorn.Config(self.app, host=self.host, port=self.port, **options)

    def start(self, timeout_s: float = 10.0) -> BackgroundServer:
        """Serve in a daemon thread; return once the port accepts connections."""
        self._server = uvicorn.Server(self.uvicorn_config())
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The server did not start on {self.host}:{self.port}.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (without waiting for idle keep-alive connections) and remove the TLS files."""
        if self._server and self._thread:
            self._server.should_exit = self._server.force_exit = True
            self._thread.join(timeout=5)
        self._socket.close()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()

    def run(self, **overrides: Any) -> None:
        """Serve in the foreground until interrupted, then clean up as :meth:`stop` does."""
        try:
            uvicorn.Server(self.uvicorn_config(**overrides)).run(sockets=[self._socket])
        finally:
            self.stop()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
