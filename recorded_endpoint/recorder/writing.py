"""Writing the recording files: one per distinct request, route family and stream mode.

What the request part keeps is an allowlist (:data:`SAFE_PARAMS`); the whole file then passes the final scan
(:func:`~.redaction.find_secret_like`), and a file with any hit is not written. The file's ``model`` names the
model that answered, from the upstream response's ``model`` field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..recordings import NOT_MATCHED, RECORDINGS_DIR, RecordingError, RecordingLibrary, canonical_messages
from .redaction import Redactor, find_secret_like

# Request body fields kept in a recording (they decide the answer, so the replay matches on them).
# A request with any other field is not recorded: the message names the field to review and add here.
SAFE_PARAMS = frozenset(
    "temperature top_p max_tokens max_completion_tokens presence_penalty frequency_penalty stop seed "
    "n response_format reasoning_effort logprobs top_logprobs logit_bias tools tool_choice "
    "parallel_tool_calls".split()
)
# New recordings land here first: the course's recordings also stage rare cases (a 429, a dropped stream, a
# filtered answer, a prompt with no recording) that a live run would silently turn into plain answers.
STAGING_DIR = Path(__file__).resolve().parents[2] / "build" / "recordings"  # the repository's build/
_PRINTABLE_FIELD = re.compile(r"[a-z_]{1,40}")


def slug(text: str, limit: int = 40) -> str:
    """A file-name part from a prompt: short lowercase words only, so no token-like string reaches a name."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) <= 16 and not re.search(r"\d{5,}", w)]
    return "-".join(words)[:limit].strip("-") or "request"


def model_of(responses: list[dict[str, Any]], version: str | None) -> dict[str, Any]:
    """The recording's ``model``: the public name the upstream answered with, and the version when known."""
    names = [r["model"] for r in responses if isinstance(r.get("model"), str)]
    model: dict[str, Any] = {"name": names[0] if names else None}
    if version:
        model["version"] = version
    return model


@dataclass
class RecordingWriter:
    """Writes one file per distinct request, route family and stream mode; repeats become ``responses``."""

    out_dir: Path
    redactor: Redactor
    prefix: str = "rec-"
    today: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())
    report: Callable[[str], None] = print
    model_version: str | None = None
    written: dict[str, Path] = field(default_factory=dict)  # request key -> file, in this run
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _files: dict[Path, dict[str, Any]] = field(default_factory=dict)

    def request_part(self, family: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The request as the recording keeps it, or None (reported) when a field is not on the allowlist."""
        unknown = sorted(k for k in body if k not in SAFE_PARAMS and k not in NOT_MATCHED and k != "messages")
        if unknown:
            shown = [repr(k) if _PRINTABLE_FIELD.fullmatch(k) else "a field with an unusual name" for k in unknown]
            self.skipped.append(f"request field {shown[0]}")
            self.report(
                f"not recorded: the request has {', '.join(shown)}, not on the allowlist "
                "(SAFE_PARAMS in recorded_endpoint/recorder/writing.py); add it there if it can never hold a secret."
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
        candidate["model"] = model_of(responses, self.model_version)
        candidate.update({"response": response} if len(responses) == 1 else {"responses": responses})
        findings = find_secret_like(candidate, self.redactor.known_values)
        if findings:
            self.refused.append(path.name)
            self.report(f"REFUSED {path.name}: not written, because " + "; ".join(str(f) for f in findings[:5]))
            return None
        if candidate["model"]["name"] is None:
            self.report(f"note: {path.name}: the answer named no public model (KNOWN_MODEL_NAMES); model.name is null")
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

    def _last_user(self, request: dict[str, Any]) -> str:
        last_user = next((m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), "")
        return self.redactor.everything_in(last_user)

    def _new_file(self, request: dict[str, Any], family: str) -> dict[str, Any]:
        mode = "streamed" if request["stream"] else "not streamed"
        return {
            "title": f"{self._last_user(request)[:70]} ({family}, {mode})",
            "provenance": {
                "kind": "recorded",
                "source": "A live deployment, through `python -m recorded_endpoint record`.",
                "date": self.today,
                "route": family,
            },
            "request": request,
        }

    def _new_path(self, request: dict[str, Any], key: str) -> Path:
        """A free file name: a file of an earlier run for the same request is replaced (a refresh)."""
        stream = "-stream" if request["stream"] else ""
        stem = f"{self.prefix}{slug(self._last_user(request))}-{request['routes'][0]}{stream}"
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
