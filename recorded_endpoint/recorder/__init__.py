"""Record mode: refresh the recordings from a live deployment, without ever writing a secret.

    python -m recorded_endpoint record [--out DIR] [--prefix rec-] [--port P] [--tls] [-- COMMAND …]

The recorder is a proxy on 127.0.0.1 (:mod:`.proxy`). Clients point at it exactly as they point at the
recorded endpoint; it forwards each request to the live deployment named in ``.env``, streams the answer back
unchanged, and meanwhile keeps what it saw (:mod:`.capture`): the chunk boundaries and the time between
chunks, the reasoning and the answer, usage, finish reason, or the error the service sent. Each chat
completion becomes one recording file (:mod:`.writing`) with provenance ``recorded``, the date, the route
family and the model that answered. With a ``COMMAND`` (e.g. executing the notebooks), the recorder runs it
pointed at the proxy and stops when it ends (:mod:`.cli`).

What reaches the file is chosen by **allowlist**; credentials, hosts, names and ids are replaced
(:mod:`.redaction`), in the joined text of a stream as well as in each chunk. Last, every file is scanned for
anything secret-shaped; a file with a hit is not written at all. ``docs/recording.md`` explains the rules.
"""

from __future__ import annotations

from .capture import SSEParser, StreamCapture, annotations, completion_from_body, error_response, split_think
from .cli import add_record_command, run_record, upstreams_from_settings
from .proxy import RECORDED_ROUTES, RecordingProxy, Upstream, UpstreamCut, Upstreams
from .redaction import Finding, Redactor, SecretLeft, find_secret_like
from .writing import SAFE_PARAMS, STAGING_DIR, RecordingWriter, slug

__all__ = [
    "RECORDED_ROUTES",
    "SAFE_PARAMS",
    "STAGING_DIR",
    "Finding",
    "RecordingProxy",
    "RecordingWriter",
    "Redactor",
    "SSEParser",
    "SecretLeft",
    "StreamCapture",
    "Upstream",
    "UpstreamCut",
    "Upstreams",
    "add_record_command",
    "annotations",
    "completion_from_body",
    "error_response",
    "find_secret_like",
    "run_record",
    "slug",
    "split_think",
    "upstreams_from_settings",
]
