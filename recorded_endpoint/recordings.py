"""Recordings: what the recorded endpoint knows, and how a request is matched to one of them.

A recording is one JSON file in ``recorded_endpoint/recordings/``. It holds the request as the model saw it
(messages and parameters), the model's output (reasoning and answer kept apart, so that every route can
render it in its own wire shape), usage, optional timing, and a ``provenance`` saying where it came from:

* ``transcribed``: copied from a published response (the source is named);
* ``authored``: written for this course to the documented wire format, usage computed with the real
  DeepSeek-R1 tokenizer;
* ``recorded``: captured from a live deployment on the date given.

Matching is strict on a canonical form of the request, so a prompt edited offline is not silently
answered with something else. A miss says first whether the *question* (the last user message) is new, lists the
questions recorded for that route, then what else differs from the nearest recording. Explaining a miss costs
time bounded by the number of recordings, whatever the size of the request: only short prefixes of the texts
are compared.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDINGS_DIR = Path(__file__).parent / "recordings"
PROVENANCE_KINDS = ("transcribed", "authored", "recorded")

# Body fields that do not change what the model says: routing, transport and client bookkeeping.
NOT_MATCHED = frozenset({"model", "stream", "stream_options", "user", "extra-parameters"})


class RecordingError(ValueError):
    """A recording file is malformed; the message names the file and the field."""


def message_text(content: Any) -> str:
    """Plain text of a message's content: a string, or a list of text parts as the SDKs send them."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def canonical_messages(messages: Any) -> list[dict[str, str]]:
    """Messages reduced to role and text, the part of a request that decides the answer."""
    if not isinstance(messages, list):
        raise TypeError("'messages' must be a list of {role, content} objects")
    canonical = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise TypeError(f"messages[{index}] must be an object with a string 'role'")
        canonical.append({"role": message["role"], "content": message_text(message.get("content"))})
    return canonical


def canonical_params(body: dict[str, Any]) -> dict[str, Any]:
    """The generation parameters of a request body, without routing and transport fields."""
    return {key: value for key, value in sorted(body.items()) if key not in NOT_MATCHED and key != "messages"}


@dataclass
class Recording:
    """One recorded interaction: a request and what the service answered, in route-neutral form."""

    name: str
    path: Path
    provenance: dict[str, Any]
    messages: list[dict[str, str]]
    params: dict[str, Any]
    stream: bool | None
    routes: tuple[str, ...] | None
    responses: list[dict[str, Any]]
    title: str = ""

    @classmethod
    def load(cls, path: Path) -> Recording:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise RecordingError(f"{path.name}: not valid JSON ({error})") from error
        provenance = data.get("provenance") or {}
        if provenance.get("kind") not in PROVENANCE_KINDS:
            raise RecordingError(f"{path.name}: provenance.kind must be one of {PROVENANCE_KINDS}")
        request = data.get("request") or {}
        responses = data.get("responses") or ([data["response"]] if "response" in data else [])
        if not responses:
            raise RecordingError(f"{path.name}: needs 'response' or 'responses'")
        routes = request.get("routes")
        return cls(
            name=path.stem,
            path=path,
            title=data.get("title", ""),
            provenance=provenance,
            messages=canonical_messages(request.get("messages", [])),
            params=canonical_params(request.get("params", {})),
            stream=request.get("stream"),
            routes=tuple(routes) if routes else None,
            responses=responses,
        )

    def accepts(self, family: str, stream: bool) -> bool:
        return (self.routes is None or family in self.routes) and (self.stream is None or self.stream == stream)

    def response_for(self, attempt: int) -> dict[str, Any]:
        """The answer to a client's ``attempt``-th try (0 first): a 429, then what the retry gets; the last repeats."""
        return self.responses[min(max(attempt, 0), len(self.responses) - 1)]

    @property
    def question(self) -> str:
        """The last user message: what the learner asked."""
        return last_question(self.messages)


QUESTIONS_LISTED = 8
COMPARED_CHARS = 400  # how much of each text the nearest-recording score looks at
GO_LIVE = "To ask your own question, go live: see .env.sample."


def last_question(messages: list[dict[str, str]]) -> str:
    """The text of the last user message, or '' if there is none."""
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def _short(text: str, limit: int = 60) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate prints as \ud800


@dataclass(frozen=True)
class Miss:
    """No recording matched: whether the question is new, the questions recorded, and what else differs."""

    nearest: Recording | None
    differences: list[str]
    question: str = ""
    question_is_new: bool = True
    recorded_questions: tuple[str, ...] = ()

    def message(self) -> str:
        """One short paragraph for the learner: the question first, then the other differences."""
        if self.nearest is None:
            return f"No recorded response matches this request: there is no recording for this route. {GO_LIVE}"
        if self.question_is_new:
            listed = "; ".join(repr(_short(q, 80)) for q in self.recorded_questions[:QUESTIONS_LISTED])
            more = len(self.recorded_questions) - QUESTIONS_LISTED
            listed += f" (and {more} more)" if more > 0 else ""
            text = f"Your question {_short(self.question, 80)!r} is not recorded. Recorded questions here: {listed}."
        else:
            differences = "; ".join(self.differences[:4]) or "nothing visible"
            text = (
                f"Your question is recorded ('{self.nearest.name}': {_short(self.nearest.title, 80)}), "
                f"but the request differs in: {differences}."
            )
        return f"No recorded response matches this request. {text} {GO_LIVE}"


def describe_differences(recording: Recording, messages: list[dict[str, str]], params: dict[str, Any]) -> list[str]:
    """Human-readable differences between a request and a recording, most telling first."""
    found = []
    if len(messages) != len(recording.messages):
        found.append(f"{len(messages)} messages sent, {len(recording.messages)} recorded")
    for index, (sent, kept) in enumerate(zip(messages, recording.messages, strict=False)):
        if sent["role"] != kept["role"]:
            found.append(f"messages[{index}].role is {sent['role']!r}, recorded {kept['role']!r}")
        if sent["content"] != kept["content"]:
            found.append(
                f"messages[{index}].content is {_short(sent['content'])!r}, recorded {_short(kept['content'])!r}"
            )
    for key in sorted(set(params) | set(recording.params))[:20]:
        if params.get(key) != recording.params.get(key):
            sent = "not sent" if key not in params else f"{_short(repr(params[key])[:200])} sent"
            kept = "not recorded" if key not in recording.params else f"recorded {_short(repr(recording.params[key]))}"
            found.append(f"parameter {_short(key, 40)}: {sent}, {kept}")
    return found


def resolve_reuse(recordings: list[Recording]) -> None:
    """Fill ``"reuse": "<name>"`` responses with the reasoning and answer of that recording.

    Several requests (with and without a system message, streamed, with other parameters) share one
    published answer; the text is kept once and each recording keeps its own usage.
    """
    by_name = {r.name: r for r in recordings}
    for recording in recordings:
        for response in recording.responses:
            source_name = response.get("reuse")
            if not source_name:
                continue
            source = by_name.get(source_name)
            if source is None:
                raise RecordingError(f"{recording.path.name}: reuse names {source_name!r}, which does not exist")
            original = next(r for r in source.responses if r.get("kind") == "completion")
            for key in ("reasoning", "answer", "model", "timing"):
                if key in original:
                    response.setdefault(key, original[key])


class RecordingLibrary:
    """All recordings, indexed by canonical request."""

    def __init__(self, recordings: list[Recording]) -> None:
        self.recordings = recordings
        self._by_key: dict[str, list[Recording]] = {}
        for recording in recordings:
            self._by_key.setdefault(self._key(recording.messages, recording.params), []).append(recording)
        for bucket in self._by_key.values():  # a live recording of a request answers before an authored one
            bucket.sort(key=lambda recording: recording.provenance["kind"] != "recorded")
        self._questions = frozenset(recording.question for recording in recordings)

    @classmethod
    def from_directory(cls, directory: Path = RECORDINGS_DIR) -> RecordingLibrary:
        recordings = [Recording.load(path) for path in sorted(directory.glob("*.json"))]
        resolve_reuse(recordings)
        return cls(recordings)

    def get(self, name: str) -> Recording:
        for recording in self.recordings:
            if recording.name == name:
                return recording
        raise KeyError(f"no recording named {name!r}")

    @staticmethod
    def _key(messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        return json.dumps([messages, params], sort_keys=True, ensure_ascii=False)

    def find(self, family: str, body: dict[str, Any], stream: bool) -> Recording | Miss:
        """The recording for this request on this route family, or a :class:`Miss` explaining the gap."""
        messages = canonical_messages(body.get("messages"))
        params = canonical_params(body)
        if last_question(messages) not in self._questions:  # a new question: no need to build the whole key
            return self._nearest(family, messages, params, stream)
        for recording in self._by_key.get(self._key(messages, params), []):
            if recording.accepts(family, stream):
                return recording
        return self._nearest(family, messages, params, stream)

    def _nearest(self, family: str, messages: list[dict[str, str]], params: dict[str, Any], stream: bool) -> Miss:
        candidates = [r for r in self.recordings if r.routes is None or family in r.routes]
        if not candidates:
            return Miss(None, ["no recordings exist for this route"])
        question = last_question(messages)
        nearest = max(candidates, key=lambda r: _closeness(r, question, messages, params))
        differences = describe_differences(nearest, messages, params)
        if not differences and nearest.stream is not None and nearest.stream != stream:
            differences = [f"stream={stream}, recorded stream={nearest.stream}"]
        questions = tuple(dict.fromkeys(r.question for r in candidates if r.question))
        return Miss(nearest, differences, question, question not in questions, questions)


def _closeness(recording: Recording, question: str, messages: list[dict[str, str]], params: dict[str, Any]) -> tuple:
    """How near a recording is to a request; cheap whatever the request's size (prefixes only)."""
    same_messages = sum(sent == kept for sent, kept in zip(messages, recording.messages, strict=False))
    similar = difflib.SequenceMatcher(None, question[:COMPARED_CHARS], recording.question[:COMPARED_CHARS])
    differing_params = sum(params.get(key) != recording.params.get(key) for key in {*params, *recording.params})
    return (question == recording.question, same_messages, round(similar.ratio(), 2), -differing_params)
