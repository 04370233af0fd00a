"""Short messages for the course's own kinds of error, shown in a notebook instead of a 100-line traceback.

The SDKs raise their errors from deep inside their retry and transport code, so the traceback a notebook
shows for a wrong key or an edited prompt is mostly the SDK's own frames, with the cause at the very end.
`short_message(error)` says in two or three lines what went wrong and what to do, for:

- a request the recorded endpoint has no recording for (`RecordingNotFound`);
- an endpoint that cannot be reached (live: check `AZURE_OPENAI_ENDPOINT`; recorded: run the first cell again);
- a refused key or token (HTTP 401) and a missing role (HTTP 403);
- a deployment name that does not exist (HTTP 404 `DeploymentNotFound`);
- a retired model (see `helpers.lifecycle`).

`install()` (called by `helpers.setup()`) makes IPython show these messages for these exceptions only; any other
error keeps its full traceback. `%tb` in a cell prints the full traceback of the last error, and
`show_full_tracebacks()` turns the short messages off.
"""

from __future__ import annotations

import os
import sys
from typing import Any

FULL_TRACEBACK_HINT = "(The full traceback: run %tb in a new cell.)"
_full_tracebacks = False


def short_message(error: BaseException, settings: Any = None) -> str | None:
    """What went wrong and what to do, in a few lines; None when `error` is not one of the course's kinds."""
    from .lifecycle import explain_retired

    status = getattr(error, "status_code", None)
    code = _error_code(error)
    live = os.environ.get("COURSE_MODE") != "recorded"
    if code == "RecordingNotFound":
        return (
            f"{_service_message(error)}\n"
            "Going live: fill in .env (lesson 00, 'Recorded mode and live mode'), then restart the kernel."
        )
    if status is None and _is_connection_error(error):
        cause = _root_cause(error)
        if not live:
            return (
                f"The recorded endpoint did not answer ({cause}). Run the lesson's first cell again "
                "(helpers.setup() starts it), or restart the kernel."
            )
        endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT") or "(not set)"
        return (
            f"Cannot reach {endpoint} ({cause}).\n"
            "Check AZURE_OPENAI_ENDPOINT in .env (https://<resource>.openai.azure.com or "
            "https://<resource>.services.ai.azure.com), then restart the kernel and run the first cell again."
        )
    # Recorded mode always replays the retired DeepSeek-R1, so retirement is only ever the cause live.
    retired = explain_retired(error, settings) if live and status not in (None, 401, 403, 409, 429) else None
    if retired:
        return retired
    if status == 401:
        if os.environ.get("COURSE_AUTH") == "entra":
            fix = "Sign in again with `az login` (Entra ID tokens expire), then restart the kernel."
        else:
            fix = (
                "Check AZURE_OPENAI_API_KEY in .env: it must be a key of the resource AZURE_OPENAI_ENDPOINT names "
                "(lesson 02 shows where to copy it). Then restart the kernel."
            )
        return f"HTTP 401: the service refused the credentials. {_service_message(error)}\n{fix}"
    if status == 403:
        return (
            f"HTTP 403: signed in, but not allowed. {_service_message(error)}\n"
            "Entra ID needs the Cognitive Services User role on the resource (lesson 01 assigns it); a new role "
            "takes a few minutes to apply."
        )
    if status == 404 and code == "DeploymentNotFound":
        deployment = os.environ.get("AZURE_DEEPSEEK_DEPLOYMENT") or "(not set)"
        return (
            f"HTTP 404 DeploymentNotFound: the resource has no ready deployment named {deployment!r}.\n"
            "Set AZURE_DEEPSEEK_DEPLOYMENT in .env to your deployment's name (lesson 02 lists them; a new "
            "deployment takes a few minutes), then restart the kernel."
        )
    return None


def show_short_messages(on: bool = True) -> None:
    """Show the course's errors as short messages (the default) or, with `on=False`, with full tracebacks."""
    global _full_tracebacks
    _full_tracebacks = not on


def show_full_tracebacks() -> None:
    """Show every error with its full traceback from now on, as plain Python does."""
    show_short_messages(False)


def install(settings: Any = None) -> bool:
    """Make IPython show the short message for the course's kinds of error; True if installed (False outside IPython).

    The cell still fails (Run All stops there, and a cell tagged raises-exception still records its error);
    only the text shown changes.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
        message = None if _full_tracebacks else short_message(value, settings)
        if message is None:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # what %tb shows
        shell._showtraceback(etype, value, [f"\x1b[31m{etype.__name__}\x1b[39m: {message}", FULL_TRACEBACK_HINT])

    shell.set_custom_exc(_exception_types(), handler)
    return True


def _exception_types() -> tuple[type[BaseException], ...]:
    import httpx
    import openai
    from azure.core.exceptions import AzureError

    return (openai.APIError, AzureError, httpx.TransportError)


def _error_code(error: BaseException) -> str | None:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and body.get("code"):
        return str(body["code"])
    odata = getattr(error, "error", None)  # azure-core's parsed {"error": {...}}
    code = getattr(odata, "code", None) or getattr(error, "code", None)
    return str(code) if code else None


def _service_message(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    odata_message = getattr(getattr(error, "error", None), "message", None)
    if odata_message:
        return str(odata_message)
    return str(getattr(error, "message", None) or error).splitlines()[0]


def _is_connection_error(error: BaseException) -> bool:
    import httpx
    import openai
    from azure.core.exceptions import ServiceRequestError

    return isinstance(error, openai.APIConnectionError | ServiceRequestError | httpx.TransportError)


def _root_cause(error: BaseException) -> str:
    """The innermost cause's text, e.g. "[Errno 111] Connection refused": the part a reader can act on."""
    seen: set[int] = set()
    inner = error.__cause__ or error.__context__
    while inner is not None and id(error) not in seen:
        seen.add(id(error))
        error, inner = inner, inner.__cause__ or inner.__context__
    return str(error) or type(error).__name__
