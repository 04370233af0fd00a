"""Record mode: refresh the recordings from a live DeepSeek-R1 deployment, without ever writing a secret.

    python -m recorded_endpoint record [--out DIR] [--prefix rec-] [--port P] [--tls] [-- COMMAND …]

The recorder is a proxy on 127.0.0.1. Clients point at it exactly as they point at the recorded endpoint;
it forwards each request to the live deployment named in ``.env`` (with httpx), streams the answer back
unchanged, and meanwhile keeps what it saw: the chunk boundaries and the time between chunks, the
reasoning and the answer, usage, finish reason, or the error the service sent. Each chat completion
becomes one recording file in the usual JSON format, with provenance ``recorded``, the date and the route
family. With a ``COMMAND`` (e.g. executing the notebooks), the recorder runs it pointed at the proxy and
stops when it ends; without one it serves until Ctrl+C.

What reaches the file is chosen by **allowlist**: the request's messages and known generation parameters,
the model's text, usage numbers, content-filter verdicts, and a few error headers such as
``retry-after``. Resource names, hostnames, subscription and request ids are replaced. Last, every file is
scanned for anything secret-shaped (keys, tokens, the upstream host, any credential seen in this run); a
file with a hit is not written at all. ``docs/recording.md`` explains the rules.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import logging
import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from helpers.settings import REPO_ROOT
from helpers.tokens import count_prompt_tokens, count_tokens

from .constants import LOOPBACK
from .recordings import NOT_MATCHED, RECORDINGS_DIR, RecordingError, RecordingLibrary, canonical_messages
from .routes import CHAT_PATHS, OPENAI_FAMILIES
from .server import Certificates, free_port, make_certificates
from .wire import think_block

# ---------------------------------------------------------------------------------------------------
# What is kept: allowlists
# ---------------------------------------------------------------------------------------------------

# Request body fields kept in a recording (they decide the answer, so the replay matches on them).
# A request with any other field is not recorded: the message names the field to review and add here.
SAFE_PARAMS = frozenset(
    "temperature top_p max_tokens max_completion_tokens presence_penalty frequency_penalty stop seed "
    "n response_format reasoning_effort logprobs top_logprobs logit_bias tools tool_choice "
    "parallel_tool_calls".split()
)
# Response headers kept with an error response: the ones clients act on.
SAFE_ERROR_HEADERS = frozenset(
    "retry-after retry-after-ms x-ms-retry-after-ms x-should-retry x-ms-error-reason "
    "x-ratelimit-limit-requests x-ratelimit-limit-tokens x-ratelimit-remaining-requests "
    "x-ratelimit-remaining-tokens".split()
)
SAFE_HEADER_VALUE = re.compile(r"^[\w .,:;=/-]{0,80}$")
# Keys of error bodies, across the routes (wire-format reference §5). Anything else is dropped.
SAFE_ERROR_KEYS = frozenset(
    "error code message type param status innererror inner_error statusCode detail "
    "content_filter_result content_filter_results".split()
)
SAFE_USAGE_KEYS = frozenset(
    "prompt_tokens completion_tokens total_tokens prompt_tokens_details completion_tokens_details "
    "reasoning_tokens cached_tokens audio_tokens accepted_prediction_tokens "
    "rejected_prediction_tokens".split()
)
SAFE_ANNOTATION_FIELDS = {"filtered": bool, "detected": bool, "severity": str}
SEVERITIES = frozenset({"safe", "low", "medium", "high"})
# The `model` a response names is kept only when it is a public model name (a deployment name is not).
KNOWN_MODEL_NAMES = frozenset(
    "DeepSeek-R1 DeepSeek-R1-0528 deepseek-r1 deepseek-ai/DeepSeek-R1 deepseek-ai/DeepSeek-R1-0528 "
    "deepseek-ai/DeepSeek-R1-Turbo deepseek-reasoner".split()
)
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# New recordings land here first: the course's recordings also stage rare cases (a 429, a dropped stream, a
# filtered answer, a prompt with no recording) that a live run would silently turn into plain answers.
STAGING_DIR = REPO_ROOT / "build" / "recordings"

# ---------------------------------------------------------------------------------------------------
# The final scan: nothing secret-shaped survives
# ---------------------------------------------------------------------------------------------------

GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
AZURE_HOST = re.compile(
    r"\b[A-Za-z0-9-]+\.(?:openai|services\.ai|cognitiveservices|models\.ai|inference\.ai|api\.azureml)\.azure\.com\b"
)
URL_SECRET = re.compile(
    r"[?&](?:sig|code|key|api-key|api_key|token|access_token|subscription-key)=(?!<redacted>)[^&\s\"']+"
)
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
SECRET_SHAPES: dict[str, re.Pattern[str]] = {
    "a JSON web token (eyJ…)": re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}"),
    "a key-shaped hex string": re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])"),
    "an 84-character key": re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{84}(?![A-Za-z0-9])"),
    "an sk-… key": re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    "a bearer token": re.compile(r"Bearer\s+(?!<redacted>)\S{16,}"),
    "a storage account key": re.compile(r"AccountKey=[^;\s]{8,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
    "a secret in a URL": URL_SECRET,
    "an Azure resource hostname": AZURE_HOST,
}


@dataclass(frozen=True)
class Finding:
    """Something secret-shaped in a recording: where it is and what it looks like (never the value)."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where} holds {self.what}"


def _strings(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, keys included, with its path."""
    if isinstance(data, str):
        yield where or "$", data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield f"{where}.{key}", str(key)
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, f"{where}[{index}]")


def _is_long_mixed_token(text: str) -> bool:
    """A run of 40+ key characters mixing digits, capitals and small letters, as random tokens do."""
    return any(
        re.search(r"\d", m) and re.search(r"[A-Z]", m) and re.search(r"[a-z]", m)
        for m in LONG_TOKEN.findall(text)
    )


def find_secret_like(data: Any, known_values: Iterable[str] = ()) -> list[Finding]:
    """Everything in ``data`` that looks like a secret, or equals one of ``known_values`` (keys, hosts…)."""
    known = sorted({v for v in known_values if v and len(v) >= 4}, key=len, reverse=True)
    findings = []
    for where, text in _strings(data):
        for what, pattern in SECRET_SHAPES.items():
            if pattern.search(text):
                findings.append(Finding(where, what))
        if any(guid.lower() != ZERO_GUID for guid in GUID.findall(text)):
            findings.append(Finding(where, "an id (GUID): subscription, tenant or request"))
        if _is_long_mixed_token(text):
            findings.append(Finding(where, "a long token of letters and digits"))
        for value in known:
            if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text, re.IGNORECASE):
                findings.append(
                    Finding(where, f"a value seen in this run's credentials or upstream ({value[:3]}…)")
                )
    return findings


class SecretLeft(ValueError):
    """A recording would have held something secret-shaped; it was not written."""


# ---------------------------------------------------------------------------------------------------
# Redaction: replace what identifies the maintainer's resources
# ---------------------------------------------------------------------------------------------------


@dataclass
class Redactor:
    """Replaces hostnames, resource and deployment names, ids and secret shapes in texts that are kept."""

    hosts: set[str] = field(default_factory=set)  # upstream hosts: replaced everywhere, and scanned for
    names: set[str] = field(default_factory=set)  # resource (account) names: replaced in error texts
    deployments: set[str] = field(default_factory=set)  # deployment names: replaced in error texts
    secrets: set[str] = field(default_factory=set)  # credential values: replaced everywhere, and scanned for

    def learn_host(self, url: str) -> None:
        host = urlsplit(url).hostname
        if host and host not in LOOPBACK:
            self.hosts.add(host)
            label = host.split(".")[0]
            if len(label) >= 3 and label not in ("api", "www"):
                self.names.add(label)

    def learn_deployment(self, name: Any) -> None:
        if isinstance(name, str) and len(name) >= 3 and name not in KNOWN_MODEL_NAMES:
            self.deployments.add(name)

    def learn_secret(self, value: str | None) -> None:
        if value:
            self.secrets.add(value)

    @property
    def known_values(self) -> set[str]:
        """What the final scan looks for besides secret shapes. Names are left out: a deployment called
        "deepseek" must not make every answer that says DeepSeek unwritable."""
        return self.hosts | self.secrets

    def names_in(self, text: str) -> str:
        """Replace credentials and upstream hosts (used on model text: its words are otherwise kept)."""
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "<redacted>")
        for host in sorted(self.hosts, key=len, reverse=True):
            text = re.sub(re.escape(host), "<resource>." + host.split(".", 1)[-1], text, flags=re.IGNORECASE)
        return text

    def everything_in(self, text: str) -> str:
        """Also names, ids and secret shapes (used on error bodies and headers, which hold no lesson text)."""
        text = self.names_in(text)
        for names, placeholder in ((self.deployments, "<deployment>"), (self.names, "<resource>")):
            for name in sorted(names, key=len, reverse=True):
                text = re.sub(
                    rf"(?<![\w<-]){re.escape(name)}(?![\w>-])", placeholder, text, flags=re.IGNORECASE
                )
        text = AZURE_HOST.sub(lambda m: "<resource>." + m.group(0).split(".", 1)[1], text)
        text = GUID.sub(ZERO_GUID, text)
        text = URL_SECRET.sub(lambda m: m.group(0).split("=", 1)[0] + "=<redacted>", text)
        for pattern in SECRET_SHAPES.values():
            text = pattern.sub("<redacted>", text)
        return LONG_TOKEN.sub(
            lambda m: "<redacted>" if _is_long_mixed_token(m.group(0)) else m.group(0), text
        )


# ---------------------------------------------------------------------------------------------------
# From the captured wire to the recording format
# ---------------------------------------------------------------------------------------------------


def split_think(content: str | None, finish_reason: str | None) -> tuple[str | None, str | None]:
    """``(reasoning, answer)`` of a model-inference ``content``, such that the replay renders it back exactly.

    The replay writes ``<think>\\n{reasoning}\\n</think>\\n\\n{answer}``; content of any other shape is kept
    whole as the answer, which the replay sends unchanged.
    """
    if content is None or not content.startswith("<think>\n"):
        return None, content
    inside = content[len("<think>\n") :]
    reasoning, closing, answer = inside.partition("\n</think>\n\n")
    if closing:
        return reasoning, answer
    if finish_reason == "length":  # cut while thinking: the replay writes no closing tag either
        return inside, ""
    return None, content


def annotations(results: Any) -> dict[str, Any] | None:
    """Content-filter verdicts, category by category, reduced to filtered / detected / severity."""
    if not isinstance(results, dict):
        return None
    kept: dict[str, Any] = {}
    for category, verdict in results.items():
        if not (
            isinstance(category, str)
            and re.fullmatch(r"[a-z_]{1,40}", category)
            and isinstance(verdict, dict)
        ):
            continue
        if category == "error":
            kept["error"] = {k: verdict[k] for k in ("code", "message") if isinstance(verdict.get(k), str)}
            continue
        kept[category] = {
            name: verdict[name]
            for name, kind in SAFE_ANNOTATION_FIELDS.items()
            if isinstance(verdict.get(name), kind)
        }
        if kept[category].get("severity") not in (None, *SEVERITIES):
            kept[category].pop("severity")
    return kept or None


def usage_numbers(usage: Any) -> dict[str, Any] | None:
    """The token counts of a usage object; nothing but integers and their known groupings."""
    if not isinstance(usage, dict):
        return None
    kept: dict[str, Any] = {}
    for key, value in usage.items():
        if key not in SAFE_USAGE_KEYS:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            kept[key] = value
        elif isinstance(value, dict):
            kept[key] = usage_numbers(value) or {}
    return kept or None


def estimated_usage(
    messages: list[dict[str, str]], reasoning: str | None, answer: str | None, complete: bool
) -> dict[str, int]:
    """Usage from the DeepSeek-R1 tokenizer, for a stream that ended before the service sent its own."""
    prompt = count_prompt_tokens(messages)
    completion = count_tokens(think_block(reasoning, answer, complete))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _common_fields(payload: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if payload.get("model") in KNOWN_MODEL_NAMES:
        kept["model"] = payload["model"]
    if isinstance(payload.get("created"), int) and payload["created"] > 0:
        kept["created"] = payload["created"]
    prompt_results = payload.get("prompt_filter_results")
    if isinstance(prompt_results, list) and prompt_results and isinstance(prompt_results[0], dict):
        verdicts = annotations(prompt_results[0].get("content_filter_results"))
        if verdicts:
            kept["prompt_filter_results"] = verdicts
    return kept


def completion_from_body(body: dict[str, Any], family: str, redactor: Redactor) -> dict[str, Any]:
    """A non-streamed chat completion as a recorded ``completion`` response."""
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    finish_reason = choice.get("finish_reason") or "stop"
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    content = message.get("content")
    if family not in OPENAI_FAMILIES and reasoning is None:
        reasoning, content = split_think(content, finish_reason)
    response: dict[str, Any] = {
        "kind": "completion",
        "reasoning": redactor.names_in(reasoning) if reasoning is not None else None,
        "answer": redactor.names_in(content) if content is not None else None,
        "finish_reason": finish_reason,
        "usage": usage_numbers(body.get("usage")) or {},
        **_common_fields(body),
    }
    verdicts = annotations(choice.get("content_filter_results"))
    if verdicts:
        response["content_filter_results"] = verdicts
    return response


def error_response(status: int, headers: httpx.Headers, raw: bytes, redactor: Redactor) -> dict[str, Any]:
    """An error answer as a recorded ``error`` response: status, allowlisted headers and body keys."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = {
            "error": {
                "code": str(status),
                "message": redactor.everything_in(raw.decode("utf-8", "replace"))[:500],
            }
        }
    kept_headers = {
        name.lower(): redactor.everything_in(value)
        for name, value in headers.items()
        if name.lower() in SAFE_ERROR_HEADERS and SAFE_HEADER_VALUE.match(value)
    }
    response: dict[str, Any] = {"kind": "error", "status": status, "body": _error_body(body, redactor)}
    if kept_headers:
        response["headers"] = kept_headers
    return response


def _error_body(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in ("content_filter_result", "content_filter_results"):
                kept[key] = annotations(item) or {}
            elif key in SAFE_ERROR_KEYS:
                kept[key] = _error_body(item, redactor)
        return kept
    if isinstance(value, list):
        return [_error_body(item, redactor) for item in value]
    if isinstance(value, str):
        return redactor.everything_in(value)
    return value if isinstance(value, (int, float, bool)) or value is None else None


class SSEParser:
    """Incremental ``text/event-stream`` parser: bytes in, the ``data`` of each complete event out."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._held_cr = False  # a "\r" at the end of a piece may be the first half of "\r\n"

    def feed(self, piece: bytes) -> list[str]:
        text = ("\r" if self._held_cr else "") + self._decoder.decode(piece)
        self._held_cr = text.endswith("\r")
        text = text[:-1] if self._held_cr else text
        self._buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        *events, self._buffer = self._buffer.split("\n\n")
        found = []
        for event in events:
            lines = [line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")]
            if lines:
                found.append("\n".join(lines))
        return found


@dataclass
class StreamCapture:
    """What arrived on a streamed answer: text chunks with the pause before each, and the trailer fields."""

    family: str
    started: float
    chunks: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    content_filter_results: dict[str, Any] | None = None
    error_event: bool = False
    last_text_at: float | None = None

    def event(self, data: str, arrived: float) -> None:
        if data.strip() == "[DONE]":
            return
        try:
            payload = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(payload, dict):
            return
        if payload.get("error"):
            self.error_event = True
        self.extras.update({k: v for k, v in _common_fields(payload).items() if k not in self.extras})
        self.usage = usage_numbers(payload.get("usage")) or self.usage
        for choice in payload.get("choices") or []:
            delta = choice.get("delta") or {}
            self._text("reasoning", delta.get("reasoning_content") or delta.get("reasoning"), arrived)
            kind = "answer" if self.family in OPENAI_FAMILIES else "content"
            self._text(kind, delta.get("content"), arrived)
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            self.content_filter_results = (
                annotations(choice.get("content_filter_results")) or self.content_filter_results
            )

    def _text(self, kind: str, text: Any, arrived: float) -> None:
        if not isinstance(text, str) or not text:
            return
        since = self.started if self.last_text_at is None else self.last_text_at
        self.chunks.append({"kind": kind, "text": text, "gap_ms": round(max(arrived - since, 0.0) * 1000, 1)})
        self.last_text_at = arrived

    def text_of(self, *kinds: str) -> str | None:
        pieces = [c["text"] for c in self.chunks if c["kind"] in kinds]
        return "".join(pieces) if pieces else None

    def to_response(self, messages: list[dict[str, str]], redactor: Redactor, cut: bool) -> dict[str, Any]:
        """The recorded ``completion``, with explicit chunks; a cut stream replays cut at the same place."""
        finish_reason = self.finish_reason  # None when the stream ended before the service sent one
        if self.family in OPENAI_FAMILIES:
            reasoning, answer = self.text_of("reasoning"), self.text_of("answer")
        else:  # a stream that ended early may have ended inside the thinking, as a "length" finish does
            reasoning, answer = split_think(self.text_of("content", "reasoning"), finish_reason or "length")
        chunks = [{**c, "text": redactor.names_in(c["text"])} for c in self.chunks]
        response: dict[str, Any] = {
            "kind": "completion",
            "reasoning": redactor.names_in(reasoning) if reasoning is not None else None,
            "answer": redactor.names_in(answer) if answer is not None else None,
            "finish_reason": finish_reason,
            "usage": self.usage,
            "chunks": chunks,
            **self.extras,
        }
        if self.usage is None:
            complete = finish_reason not in (None, "length")
            response["usage"] = estimated_usage(messages, reasoning, answer, complete)
            response["usage_source"] = "DeepSeek-R1 tokenizer: the stream ended before the service sent usage"
        if cut:
            response["drop_after_chunks"] = len(chunks)
        if self.content_filter_results:
            response["content_filter_results"] = self.content_filter_results
        if chunks:
            response["timing"] = self.timing()
        return response

    def timing(self) -> dict[str, Any]:
        """Time to the first text, and the pace of the rest in DeepSeek-R1 tokens per second."""
        first, rest = self.chunks[0], self.chunks[1:]
        rest_ms = sum(c["gap_ms"] for c in rest)
        tokens = count_tokens("".join(c["text"] for c in rest))
        speed = round(tokens / (rest_ms / 1000), 1) if rest_ms > 0 else None
        return {"first_token_ms": first["gap_ms"], "tokens_per_second": speed, "source": "recorded"}


# ---------------------------------------------------------------------------------------------------
# Writing the files
# ---------------------------------------------------------------------------------------------------


def slug(text: str, limit: int = 40) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:limit].strip("-") or "request"


@dataclass
class RecordingWriter:
    """Writes one file per distinct request, route family and stream mode; repeats become ``responses``."""

    out_dir: Path
    redactor: Redactor
    prefix: str = "rec-"
    today: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())
    report: Callable[[str], None] = print
    written: dict[str, Path] = field(default_factory=dict)  # request key -> file, in this run
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _files: dict[Path, dict[str, Any]] = field(default_factory=dict)

    def request_part(self, family: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The request as the recording keeps it, or None (reported) when a field is not on the allowlist."""
        unknown = sorted(k for k in body if k not in SAFE_PARAMS and k not in NOT_MATCHED and k != "messages")
        if unknown:
            self.skipped.append(f"request field {unknown[0]!r}")
            self.report(
                f"not recorded: the request has {', '.join(map(repr, unknown))}, not on the allowlist "
                "(SAFE_PARAMS in recorded_endpoint/recorder.py); add it there if it can never hold a secret."
            )
            return None
        params = {k: body[k] for k in sorted(body) if k in SAFE_PARAMS}
        request: dict[str, Any] = {"messages": canonical_messages(body.get("messages"))}
        if params:
            request["params"] = params
        request["stream"] = bool(body.get("stream"))
        request["routes"] = [family]
        return request

    def add(self, family: str, body: dict[str, Any], response: dict[str, Any]) -> Path | None:
        """Add one answer; returns the file written, or None when it was refused or skipped."""
        request = self.request_part(family, body)
        if request is None:
            return None
        key = json.dumps(request, sort_keys=True, ensure_ascii=False)
        path = self.written.get(key) or self._new_path(request, key)
        data = self._files.get(path) or self._new_file(request, family)
        responses = [*(data.get("responses") or ([data["response"]] if "response" in data else [])), response]
        candidate = {k: v for k, v in data.items() if k not in ("response", "responses")}
        candidate.update({"response": response} if len(responses) == 1 else {"responses": responses})
        findings = find_secret_like(candidate, self.redactor.known_values)
        if findings:
            self.refused.append(path.name)
            self.report(
                f"REFUSED {path.name}: not written, because " + "; ".join(str(f) for f in findings[:5])
            )
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(candidate, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        temporary.replace(path)
        self._files[path] = candidate
        self.written[key] = path
        kind = response["kind"] if response["kind"] == "completion" else f"error {response['status']}"
        how = f"{len(response.get('chunks', []))} chunks" if request["stream"] else "not streamed"
        self.report(f"recorded {path.name} ({family}, {how}, {kind}, answer {len(responses)})")
        return path

    def _new_file(self, request: dict[str, Any], family: str) -> dict[str, Any]:
        last_user = next((m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), "")
        mode = "streamed" if request["stream"] else "not streamed"
        return {
            "title": f"{last_user[:70]} ({family}, {mode})",
            "provenance": {
                "kind": "recorded",
                "source": "A live DeepSeek-R1 deployment, through `python -m recorded_endpoint record`.",
                "date": self.today,
                "route": family,
            },
            "request": request,
        }

    def _new_path(self, request: dict[str, Any], key: str) -> Path:
        """A free file name: a file of an earlier run for the same request is replaced (a refresh)."""
        last_user = next((m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), "")
        stem = (
            f"{self.prefix}{slug(last_user)}-{request['routes'][0]}{'-stream' if request['stream'] else ''}"
        )
        taken = set(self.written.values())
        for number in range(1, 1000):
            path = self.out_dir / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
            if path in taken:
                continue
            if not path.exists() or _same_request(path, key):
                return path
        raise RuntimeError(f"more than 999 recordings named {stem}-N in {self.out_dir}")

    def placement(self, course_dir: Path = RECORDINGS_DIR) -> list[str]:
        """For each file written in this run: which recording of ``course_dir`` answers its request today."""
        try:
            library = RecordingLibrary.from_directory(course_dir)
        except RecordingError as error:
            return [f"the course's recordings do not load: {error}"]
        lines = []
        for path, data in sorted(self._files.items()):
            request = data["request"]
            body = {"messages": request["messages"], **request.get("params", {})}
            found = library.find(request["routes"][0], body, request["stream"])
            if not hasattr(found, "path"):
                lines.append(f"{path.name}: new, no course recording answers this request")
            elif found.path.resolve() == path.resolve():
                lines.append(f"{path.name}: answers this request in the course")
            else:
                kind = found.provenance.get("kind")
                lines.append(f"{path.name}: the course answers this request with {found.path.name} ({kind})")
        return lines


def _same_request(path: Path, key: str) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return (
        data.get("provenance", {}).get("kind") == "recorded"
        and json.dumps(data.get("request"), sort_keys=True, ensure_ascii=False) == key
    )


# ---------------------------------------------------------------------------------------------------
# The proxy
# ---------------------------------------------------------------------------------------------------

CHAT_ROUTES = {path: family for family, path in CHAT_PATHS.items()}
HOP_BY_HOP = frozenset(
    "host content-length connection keep-alive transfer-encoding te upgrade proxy-authorization "
    "proxy-connection accept-encoding content-encoding trailer".split()
)


@dataclass(frozen=True)
class Upstream:
    """Where one kind of route is forwarded: a scheme and host, and the key to send there."""

    root: str
    key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Upstreams:
    """The live service: the Azure resource, the model-inference endpoint, and optionally a provider."""

    azure: Upstream
    inference: Upstream
    provider: Upstream | None = None

    def for_path(self, path: str) -> Upstream | None:
        if path.startswith("/v1/openai"):
            return self.provider
        if path.startswith(("/models", "/info", "/chat/")):
            return self.inference
        return self.azure


class UpstreamCut(Exception):
    """The live service cut a stream; the client's stream is cut at the same place."""


class _HideUpstreamCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], UpstreamCut))


logging.getLogger("uvicorn.error").addFilter(_HideUpstreamCuts())


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RecordingProxy:
    """A local proxy in front of a live deployment that writes what passes through as recordings."""

    def __init__(
        self,
        upstreams: Upstreams,
        out_dir: Path = STAGING_DIR,
        port: int = 0,
        api_key: str | None = None,
        prefix: str = "rec-",
        tls: bool = False,
        report: Callable[[str], None] = print,
        today: str | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.host = "127.0.0.1"  # the proxy holds live credentials: loopback only
        self.port = port or free_port(self.host)
        self.api_key = api_key or "record-proxy-" + secrets.token_urlsafe(12)
        self.redactor = Redactor()
        for upstream in (upstreams.azure, upstreams.inference, upstreams.provider):
            if upstream:
                self.redactor.learn_host(upstream.root)
                self.redactor.learn_secret(upstream.key)
        self.redactor.learn_secret(self.api_key)
        writer_options = {"today": today} if today else {}
        self.writer = RecordingWriter(Path(out_dir), self.redactor, prefix, report=report, **writer_options)
        self.report = report
        self.certificates: Certificates | None = None
        if tls:
            self.certificates = make_certificates(Path(tempfile.mkdtemp(prefix="record-tls-")))
        self.app = self._create_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.certificates else 'http'}://{self.host}:{self.port}"

    # -- the app ----------------------------------------------------------------------------------
    def _create_app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            timeout = httpx.Timeout(connect=15.0, read=600.0, write=60.0, pool=15.0)
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                app.state.client = client
                yield

        routes = [Route(path, self._chat(family), methods=["POST"]) for path, family in CHAT_ROUTES.items()]
        routes.append(
            Route("/{path:path}", self._passthrough, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        )
        return Starlette(routes=routes, lifespan=lifespan)

    def _upstream_request(self, request: Request, content: bytes) -> httpx.Request:
        upstream = self.upstreams.for_path(request.url.path)
        if upstream is None:
            raise LookupError(
                f"{request.url.path}: no upstream for this route. Set DEEPINFRA_BASE_URL and DEEPINFRA_TOKEN "
                "in .env to record the provider route."
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for name in ("api-key", "authorization"):
            value = headers.get(name)
            if value is None:
                continue
            credential = (
                value[7:].strip()
                if name == "authorization" and value.lower().startswith("bearer ")
                else value
            )
            if credential == self.api_key:  # our local key: swap in the live one, in the same header
                if upstream.key is None:
                    headers.pop(name)
                else:
                    headers[name] = f"Bearer {upstream.key}" if name == "authorization" else upstream.key
            else:  # an Entra ID token or a live key the client brought: forwarded, never kept
                self.redactor.learn_secret(credential)
        url = upstream.root + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return httpx.Request(request.method, url, headers=headers, content=content)

    def _chat(self, family: str):
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError("not an object")
                canonical_messages(body.get("messages"))
            except (ValueError, TypeError):
                return await self._forward(request, raw)  # not a chat request we can record: pass it on
            self.redactor.learn_deployment(request.path_params.get("deployment"))
            self.redactor.learn_deployment(body.get("model"))
            started = time.monotonic()
            try:
                upstream_request = self._upstream_request(request, raw)
            except LookupError as error:
                return JSONResponse({"error": {"code": "NoUpstream", "message": str(error)}}, status_code=502)
            client: httpx.AsyncClient = request.app.state.client
            try:
                reply = await client.send(upstream_request, stream=True)
            except httpx.HTTPError as error:
                return _unreachable(upstream_request, error)
            self.redactor.learn_deployment(reply.headers.get("x-ms-deployment-name"))
            is_stream = reply.status_code < 400 and "text/event-stream" in reply.headers.get(
                "content-type", ""
            )
            if is_stream:
                return StreamingResponse(
                    self._relay(reply, family, body, started),
                    status_code=reply.status_code,
                    headers=_client_headers(reply.headers),
                )
            content = await reply.aread()
            await reply.aclose()
            self._record_whole(family, body, reply, content)
            return Response(content, status_code=reply.status_code, headers=_client_headers(reply.headers))

        return endpoint

    async def _relay(
        self, reply: httpx.Response, family: str, body: dict[str, Any], started: float
    ) -> AsyncIterator[bytes]:
        parser, capture = SSEParser(), StreamCapture(family, started)
        state = "client closed"
        try:
            async for piece in reply.aiter_bytes():
                arrived = time.monotonic()
                for data in parser.feed(piece):
                    capture.event(data, arrived)
                yield piece
            state = "complete"
        except httpx.HTTPError as error:
            state = "cut"
            raise UpstreamCut(str(error)) from error
        finally:
            self._record_stream(family, body, capture, state)
            with contextlib.suppress(Exception):
                await reply.aclose()

    async def _passthrough(self, request: Request) -> Response:
        return await self._forward(request, await request.body())

    async def _forward(self, request: Request, raw: bytes) -> Response:
        try:
            upstream_request = self._upstream_request(request, raw)
        except LookupError as error:
            return JSONResponse({"error": {"code": "NoUpstream", "message": str(error)}}, status_code=502)
        try:
            reply = await request.app.state.client.send(upstream_request)
        except httpx.HTTPError as error:
            return _unreachable(upstream_request, error)
        return Response(reply.content, status_code=reply.status_code, headers=_client_headers(reply.headers))

    # -- recording ------------------------------------------------------------------------------------
    def _record_whole(self, family: str, body: dict[str, Any], reply: httpx.Response, content: bytes) -> None:
        if reply.status_code >= 400:
            self.writer.add(
                family, body, error_response(reply.status_code, reply.headers, content, self.redactor)
            )
            return
        try:
            payload = json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self.writer.skipped.append("a non-JSON answer")
            self.report(f"not recorded: the {family} answer (HTTP {reply.status_code}) is not JSON")
            return
        self.writer.add(family, body, completion_from_body(payload, family, self.redactor))

    def _record_stream(self, family: str, body: dict[str, Any], capture: StreamCapture, state: str) -> None:
        if capture.error_event:
            self.writer.skipped.append("an error inside a stream")
            self.report(
                f"not recorded: an error arrived inside the {family} stream; recordings cannot replay that"
            )
            return
        if state == "client closed":
            self.report(
                f"note: the client closed a {family} stream after {len(capture.chunks)} chunks; "
                "recording what arrived"
            )
        messages = canonical_messages(body.get("messages"))
        self.writer.add(family, body, capture.to_response(messages, self.redactor, cut=state == "cut"))

    # -- running ----------------------------------------------------------------------------------
    def uvicorn_config(self) -> uvicorn.Config:
        tls = {}
        if self.certificates:
            tls = {"ssl_certfile": str(self.certificates.cert), "ssl_keyfile": str(self.certificates.key)}
        return uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level="warning", access_log=False, **tls
        )

    def start(self, timeout_s: float = 10.0) -> RecordingProxy:
        """Serve in a background thread; returns once the port accepts connections."""
        self._server = uvicorn.Server(self.uvicorn_config())
        self._thread = threading.Thread(target=self._server.run, name="recording-proxy", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The recording proxy did not start on {self.host}:{self.port}.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def environment(self, deployment: str, auth: str = "key", inference_path: str = "") -> dict[str, str]:
        """Variables that point the course (in live mode) at this proxy instead of the live endpoint."""
        env = {
            "COURSE_MODE": "live",
            "COURSE_AUTH": auth,
            "AZURE_OPENAI_ENDPOINT": self.url,
            "AZURE_INFERENCE_ENDPOINT": self.url + inference_path,
            "AZURE_DEEPSEEK_DEPLOYMENT": deployment,
            "AZURE_OPENAI_API_KEY": self.api_key if auth == "key" else "",
            "AZURE_INFERENCE_CREDENTIAL": self.api_key if auth == "key" else "",
        }
        if self.upstreams.provider:
            env.update({"DEEPINFRA_BASE_URL": f"{self.url}/v1/openai", "DEEPINFRA_TOKEN": self.api_key})
        if self.certificates:
            env.update(
                {
                    "SSL_CERT_FILE": str(self.certificates.ca_bundle),
                    "REQUESTS_CA_BUNDLE": str(self.certificates.ca_bundle),
                }
            )
        return env

    def summary(self) -> str:
        lines = [
            f"{len(self.writer.written)} recordings written to {self.writer.out_dir}, "
            f"{len(self.writer.refused)} refused (secret-shaped content), "
            f"{len(self.writer.skipped)} not recordable."
        ]
        return "\n".join(lines + [f"  {line}" for line in self.writer.placement()])


def _unreachable(upstream_request: httpx.Request, error: httpx.HTTPError) -> JSONResponse:
    message = (
        f"The live endpoint {upstream_request.url.host} did not answer ({type(error).__name__}). "
        "Check AZURE_OPENAI_ENDPOINT."
    )
    return JSONResponse({"error": {"code": "UpstreamUnreachable", "message": message}}, status_code=502)


def _client_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


# ---------------------------------------------------------------------------------------------------
# Command line: python -m recorded_endpoint record
# ---------------------------------------------------------------------------------------------------


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
        provider = Upstream(_root(base), source["DEEPINFRA_TOKEN"])
    upstreams = Upstreams(
        azure=Upstream(settings.endpoint, settings.api_key),
        inference=Upstream(_root(settings.inference_endpoint), settings.inference_key),
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
    proxy = RecordingProxy(upstreams, Path(args.out), port=args.port, prefix=args.prefix, tls=args.tls)
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
    parser.add_argument(
        "--tls", action="store_true", help="serve https (needed for Entra ID with azure-ai-inference)"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to run against the proxy")
    parser.set_defaults(run=run_record)
