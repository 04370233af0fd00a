"""Content safety: the content filter's verdicts, from either SDK, as one report and a pandas table.

Azure runs every prompt and every completion through its content filter. Its verdicts reach your code in
three shapes (wire-format reference §4 and §5):

* **a blocked prompt** is refused with HTTP 400 and code ``content_filter``: ``openai.BadRequestError`` or
  azure-core's ``HttpResponseError``. On the Azure OpenAI routes the body names the categories in
  ``innererror.content_filter_result``; the model inference (``/models``) route names none.
* **a cut completion** arrives with ``finish_reason == "content_filter"`` (and no content, unless streamed).
* **annotations** ride on every answer from the Azure OpenAI routes: ``prompt_filter_results`` for the
  prompt and ``content_filter_results`` on each choice (and on each streamed chunk).

The Responses API (a Foundry extension, wire-format reference "The Responses API") sends all of these in one
top-level ``content_filters`` array instead: one entry per checked text, each with ``blocked``, ``source_type``
(``prompt`` or ``completion``) and ``content_filter_results``; read it as ``response.model_extra["content_filters"]``.
A blocked prompt is still a 400 ``content_filter``, with the array in the error body in place of ``innererror``.

:func:`safety_report` turns any of these into a :class:`SafetyReport`; :func:`safety_table` gives the
same as a DataFrame, one row per category::

    try:
        client.chat.completions.create(...)
    except openai.BadRequestError as error:
        if is_content_filter_error(error):
            print(safety_report(error))
            display(safety_table(error))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .sdk import as_dict, finish_reason

SEVERITIES = ("safe", "low", "medium", "high")
HARM_CATEGORIES = ("hate", "sexual", "violence", "self_harm")
CONTENT_FILTER = "content_filter"
RESPONSE_END_EVENTS = ("response.completed", "response.incomplete", "response.failed")

PROMPT_BLOCKED = "prompt blocked"
COMPLETION_CUT = "completion cut"
PASSED = "passed"
NOT_ANNOTATED = "not annotated"


@dataclass(frozen=True)
class FilterResult:
    """One category's verdict on one prompt or one choice."""

    target: str  # "prompt" or "completion"
    index: int  # prompt_index, or the choice's index
    category: str  # hate, sexual, violence, self_harm, jailbreak, protected_material_text, ...
    filtered: bool  # True when this category stopped the text
    severity: str | None = None  # harm categories: safe, low, medium or high
    detected: bool | None = None  # yes/no models: jailbreak, protected material, profanity
    detail: str | None = None  # a citation, or why the filter could not run


@dataclass(frozen=True)
class SafetyReport:
    """What the content filter decided about one request."""

    outcome: str  # PROMPT_BLOCKED, COMPLETION_CUT, PASSED or NOT_ANNOTATED
    results: tuple[FilterResult, ...] = ()
    code: str | None = None  # the error code of a blocked prompt ("content_filter")
    message: str | None = None  # the service's message for a blocked prompt

    @property
    def blocked(self) -> bool:
        """True when the filter stopped the prompt or the completion."""
        return self.outcome in (PROMPT_BLOCKED, COMPLETION_CUT)

    @property
    def triggered(self) -> tuple[FilterResult, ...]:
        """The categories that did the stopping."""
        return tuple(result for result in self.results if result.filtered)

    def table(self) -> pd.DataFrame:
        """One row per category: target, index, category, severity (ordered), detected, filtered, detail.

        The ``detail`` column is left out when no row has one.
        """
        rows = sorted(self.results, key=_row_order)
        frame = pd.DataFrame(
            {
                "target": [r.target for r in rows],
                "index": [r.index for r in rows],
                "category": [r.category for r in rows],
                # Ordered, so that `table[table.severity >= "medium"]` works.
                "severity": pd.Categorical([r.severity for r in rows], categories=SEVERITIES, ordered=True),
                "detected": pd.array([r.detected for r in rows], dtype="boolean"),
                "filtered": [r.filtered for r in rows],
                "detail": [r.detail for r in rows],
            }
        )
        return frame if frame["detail"].notna().any() else frame.drop(columns="detail")

    def __str__(self) -> str:
        fired = ", ".join(_describe(r) for r in self.triggered) or "this route does not say which category"
        if self.outcome == PROMPT_BLOCKED:
            return f"Prompt blocked ({self.code}): {fired}."
        if self.outcome == COMPLETION_CUT:
            return f"Completion cut by the content filter: {fired}."
        if self.outcome == NOT_ANNOTATED:
            return "No content filter annotations: the model inference routes do not send them."
        flagged = [r for r in self.results if r.severity not in (None, "safe") or r.detected]
        if flagged:
            below = ", ".join(map(_describe, flagged))
            return f"Passed the content filter; flagged below the blocking threshold: {below}."
        return "Passed the content filter: every category safe."


def is_content_filter_error(error: BaseException) -> bool:
    """Whether an SDK exception is the 400 the content filter sends for a blocked prompt."""
    status, inner = _error_parts(error)
    return status == 400 and _inner_code(inner) == CONTENT_FILTER


def safety_report(source: Any) -> SafetyReport:
    """The content filter's verdict from an error, a response, a list of stream chunks, or a raw body dict.

    Accepts ``openai.BadRequestError``, azure-core ``HttpResponseError`` (as ``azure-ai-inference`` raises
    it), an openai ``ChatCompletion``, an azure-ai-inference ``ChatCompletions``, a Responses API ``Response``,
    the chunks or events of a stream (collected in a list), or the JSON body of any of these as a dict.
    """
    if isinstance(source, BaseException):
        return _error_report(source)
    if _is_stream(source):
        chunks = [_as_dict(chunk) for chunk in source]
        final = [c["response"] for c in chunks if c.get("type") in RESPONSE_END_EVENTS and c.get("response")]
        return _response_report(final[-1]) if final else _stream_report(chunks)
    body = _as_dict(source)
    if body.get("object") == "response":
        return _response_report(body)
    if "choices" in body or "prompt_filter_results" in body:
        return _completion_report(body)
    inner = body.get("error", body)
    status = inner.get("status") or body.get("status") or body.get("statusCode")
    return _error_body_report(status, inner)


def safety_table(source: Any) -> pd.DataFrame:
    """``safety_report(source).table()``: one row per category, ready to display or filter."""
    return safety_report(source).table()


# -- errors ------------------------------------------------------------------------------------------
def _error_parts(error: BaseException) -> tuple[int | None, Any]:
    """(HTTP status, the inner ``error`` object) of an openai or azure-core exception."""
    status = getattr(error, "status_code", None)
    body = getattr(error, "body", None)  # openai: already the inner `error` object
    if body is None:
        response = getattr(error, "response", None)  # azure-core: the HTTP response
        try:
            body = response.json() if response is not None else None
        except ValueError:  # not JSON
            body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        body = body["error"]
    return status, body


def _inner_code(inner: Any) -> str | None:
    return inner.get("code") if isinstance(inner, Mapping) else None


def _error_report(error: BaseException) -> SafetyReport:
    status, inner = _error_parts(error)
    if status is None:
        raise TypeError(
            f"{type(error).__name__} did not come from the service, so there is no filter verdict in it."
        )
    return _error_body_report(status, inner)


def _error_body_report(status: int | None, inner: Any) -> SafetyReport:
    code = _inner_code(inner)
    if status not in (400, None) or code != CONTENT_FILTER:
        what = f"a {status} error" if status else "an error"
        raise ValueError(
            f"This is {what} with code {code!r}, not a content filter verdict "
            "(a 400 with code 'content_filter'). "
            "Lesson 08's troubleshooting section explains each error and its fix."
        )
    if inner.get("content_filters"):  # the Responses API: the array replaces innererror
        results = _content_filter_results(inner["content_filters"])
        return SafetyReport(PROMPT_BLOCKED, tuple(results), code=code, message=inner.get("message"))
    details = inner.get("innererror") or inner.get("inner_error") or {}
    # The wire says content_filter_result; the REST spec says content_filter_results. Accept both.
    categories = details.get("content_filter_result") or details.get("content_filter_results") or {}
    return SafetyReport(
        PROMPT_BLOCKED, tuple(_results("prompt", 0, categories)), code=code, message=inner.get("message")
    )


# -- responses and streams ---------------------------------------------------------------------------
def _completion_report(body: Mapping[str, Any]) -> SafetyReport:
    results: list[FilterResult] = []
    for prompt in body.get("prompt_filter_results") or body.get("prompt_annotations") or []:
        results += _results(
            "prompt", prompt.get("prompt_index", 0), prompt.get("content_filter_results") or {}
        )
    choices = body.get("choices") or []
    for position, choice in enumerate(choices):
        results += _results(
            "completion", choice.get("index", position), choice.get("content_filter_results") or {}
        )
    if any(finish_reason(choice) == CONTENT_FILTER for choice in choices):
        return SafetyReport(COMPLETION_CUT, tuple(results))
    return SafetyReport(PASSED if results else NOT_ANNOTATED, tuple(results))


def _content_filter_results(entries: Iterable[Any]) -> list[FilterResult]:
    """The Responses API's ``content_filters`` entries, as results; the ``index`` counts entries per target."""
    results: list[FilterResult] = []
    seen: dict[str, int] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        target = entry.get("source_type") or "prompt"
        index = seen[target] = seen.get(target, -1) + 1
        results += _results(target, index, entry.get("content_filter_results") or {})
    return results


def _response_report(body: Mapping[str, Any]) -> SafetyReport:
    """A Responses object: its ``content_filters``, and whether the filter cut the output."""
    results = _content_filter_results(body.get("content_filters") or [])
    cut = (body.get("incomplete_details") or {}).get("reason") == CONTENT_FILTER or any(
        entry.get("blocked") for entry in body.get("content_filters") or [] if isinstance(entry, Mapping)
    )
    if cut:
        return SafetyReport(COMPLETION_CUT, tuple(results))
    return SafetyReport(PASSED if results else NOT_ANNOTATED, tuple(results))


def _stream_report(chunks: list[dict[str, Any]]) -> SafetyReport:
    """Fold a stream's chunks into one body: prompt annotations, and per choice the strongest verdicts."""
    prompts: list[Any] = []
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        prompts += chunk.get("prompt_filter_results") or []
        for choice in chunk.get("choices") or []:
            merged = choices.setdefault(
                choice.get("index", 0), {"index": choice.get("index", 0), "content_filter_results": {}}
            )
            if finish_reason(choice):
                merged["finish_reason"] = finish_reason(choice)
            for category, verdict in (choice.get("content_filter_results") or {}).items():
                kept = merged["content_filter_results"].get(category)
                if kept is None or _strength(verdict) > _strength(kept):
                    merged["content_filter_results"][category] = verdict
    return _completion_report(
        {"prompt_filter_results": prompts, "choices": [choices[i] for i in sorted(choices)]}
    )


def _results(target: str, index: int, categories: Mapping[str, Any]) -> list[FilterResult]:
    results = []
    for category, verdict in categories.items():
        if not isinstance(verdict, Mapping):
            continue
        name = category.replace("-", "_")  # some docs spell it "self-harm"
        if name == "error":  # the filter did not run: {"code": "content_filter_error", "message": ...}
            results.append(FilterResult(target, index, "filter_error", False, detail=verdict.get("message")))
            continue
        citation = verdict.get("citation")
        results.append(
            FilterResult(
                target,
                index,
                name,
                bool(verdict.get("filtered", False)),
                severity=verdict.get("severity"),
                detected=verdict.get("detected"),
                detail=f"{citation.get('URL')} ({citation.get('license')})"
                if isinstance(citation, Mapping)
                else None,
            )
        )
    return results


# -- small helpers -----------------------------------------------------------------------------------
def _as_dict(obj: Any) -> dict[str, Any]:
    try:
        return as_dict(obj)  # keeps Azure's extra fields (model_extra)
    except TypeError:
        raise TypeError(
            "safety_report() takes an SDK error, a response, a list of stream chunks or a dict, "
            f"not {type(obj).__name__}."
        ) from None


def _is_stream(source: Any) -> bool:
    # pydantic models iterate over their fields, so "iterable" alone does not make a stream.
    is_model = hasattr(source, "as_dict") or hasattr(source, "model_dump")
    return isinstance(source, Iterable) and not isinstance(source, (Mapping, str, bytes)) and not is_model


def _strength(verdict: Any) -> tuple[bool, int, bool]:
    if not isinstance(verdict, Mapping):
        return (False, -1, False)
    severity = verdict.get("severity")
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else -1
    return (bool(verdict.get("filtered")), rank, bool(verdict.get("detected")))


def _row_order(result: FilterResult) -> tuple[int, int, int, str]:
    known = (
        HARM_CATEGORIES.index(result.category) if result.category in HARM_CATEGORIES else len(HARM_CATEGORIES)
    )
    return (0 if result.target == "prompt" else 1, result.index, known, result.category)


def _describe(result: FilterResult) -> str:
    if result.severity:
        return f"{result.category} ({result.severity}, {result.target})"
    return (
        f"{result.category} (detected, {result.target})"
        if result.detected
        else f"{result.category} ({result.target})"
    )
