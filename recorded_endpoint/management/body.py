"""Reading a management request's JSON body within the chat routes' limits, refusing the rest in ARM's words.

The limits are those of :mod:`recorded_endpoint.limits` (body size, nesting depth, number length, no
``NaN``), plus one more: only text that is valid Unicode. A JSON escape such as ``"\\ud800"`` decodes to a lone
surrogate, which no UTF-8 answer could carry back, so it is refused here before anything is stored. Each
limit is a 4xx, never a 500.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..limits import MAX_BODY_BYTES, BodyIncomplete, BodyTooLarge, parse_json, read_bounded
from .errors import ArmError, invalid_content


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (an empty body reads as ``{}``), or an :class:`ArmError` naming the problem."""
    raw = await _read_bounded(request)
    try:
        value = parse_json(raw or b"{}")
    except ValueError as error:  # not JSON, not UTF-8, too deep, a number too long
        raise invalid_content(_printable(str(error))) from None
    if not isinstance(value, dict):
        raise invalid_content("the body must be a JSON object")
    if not all_text_is_valid_unicode(value):
        raise invalid_content("the body holds text that is not valid Unicode (a lone surrogate such as \\ud800)")
    return value


async def _read_bounded(request: Request) -> bytes:
    try:
        return await read_bounded(request)
    except BodyTooLarge:
        # Authored to ARM's documented error format (ARM refuses bodies over its own, larger, limit the same way).
        raise ArmError(413, "RequestEntityTooLarge", f"The request body exceeds {MAX_BODY_BYTES:,} bytes.") from None
    except BodyIncomplete:
        raise invalid_content("the request body ended before it was complete") from None


def all_text_is_valid_unicode(value: Any) -> bool:
    """Whether every string in a decoded JSON value (names included) can be encoded as UTF-8; walked without
    recursion, like the depth check."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and not is_valid_unicode(item):
            return False
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def is_valid_unicode(text: str) -> bool:
    """False for text that cannot be encoded as UTF-8, such as a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode("ascii")[:300]
