"""Show a DeepSeek-R1 stream as it arrives: in JupyterLab (`LiveView`) or as plain text (`TextView`).

A view is anything with the three methods of `StreamView`; `helpers.streaming.consume` calls them while it
reads a stream:

    from helpers.streaming import consume
    from helpers.views import LiveView
    result = consume(stream, view=LiveView())

`render_text(result)` is the plain text `TextView` prints, built from a finished result.
"""

from __future__ import annotations

import html
import sys
import time
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:  # only for the type hints: streaming imports this module, not the other way round
    from .streaming import StreamResult

__all__ = ["StreamView", "TextView", "LiveView", "render_text"]


class StreamView(Protocol):
    """Something that shows a stream as it arrives: `update` per piece, `finish` once at the end.

    The `result` passed to `update` is still being filled: its `thinking` is set when the answer starts,
    everything else at the end. Keep the pieces you need.
    """

    def start(self) -> None: ...

    def update(self, kind: str, text: str, result: StreamResult) -> None: ...

    def finish(self, result: StreamResult) -> None: ...


def render_text(result: StreamResult) -> str:
    """A finished result as plain text: a "Thinking:" block, an "Answer:" block, then the notes."""
    sink = _Collect()
    view = TextView(file=sink)
    if result.thinking:
        view.update("reasoning", result.thinking, result)
    if result.answer:
        view.update("answer", result.answer, result)
    view.finish_blocks(result)
    return sink.text().rstrip("\n")


class _Collect:
    """A tiny text sink for `render_text`."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(self.parts)


class TextView:
    """Print a stream as plain text as it arrives: a "Thinking:" block, an "Answer:" block, then notes.

    The printed text equals `result.to_text()` (plus a final newline), whatever the chunking, so it suits
    terminals, logs and notebooks checked by nbval. If the opening `<think>` turns out to have been missing,
    the end says so and prints the corrected split. Output is flushed at most every `min_interval` seconds
    (and at the end), so a fast stream does not turn into one notebook output per token.
    """

    def __init__(self, file: TextIO | Any | None = None, min_interval: float = 0.1) -> None:
        self.file = file
        self.min_interval = min_interval
        self._kind: str | None = None
        self._last_flush = 0.0

    def _write(self, text: str, flush: bool = False) -> None:
        out = self.file or sys.stdout
        out.write(text)
        if flush or time.perf_counter() - self._last_flush >= self.min_interval:
            out.flush()
            self._last_flush = time.perf_counter()

    def start(self) -> None:
        self._kind = None
        self._last_flush = time.perf_counter()

    def update(self, kind: str, text: str, result: StreamResult) -> None:
        if kind != self._kind:
            if self._kind is not None:
                self._write("\n\n")
            elif kind == "answer" and result.thinking == "":
                self._write("Thinking: (empty)\n\n")
            self._write("Thinking:\n" if kind == "reasoning" else "Answer:\n")
            self._kind = kind
        self._write(text)

    def finish(self, result: StreamResult) -> None:
        if result.reclassified:
            self._write("\n\n[The opening <think> was missing, so the thinking streamed as answer. Corrected:]\n")
            self._write(result.to_text() + "\n", flush=True)
        else:
            self.finish_blocks(result)

    def finish_blocks(self, result: StreamResult) -> None:
        """Close the open block (or say there was no answer), then print the notes."""
        if self._kind is None:
            if result.thinking == "":
                self._write("Thinking: (empty)\n\n")
            self._write("Answer: (none)")
        elif self._kind == "reasoning" and result.answer is None:
            self._write("\n\nAnswer: (none)")
        self._write("\n")
        for note in result.notes():
            self._write(f"[{note}]\n")
        self._write("", flush=True)


class LiveView:
    """A JupyterLab view (ipywidgets): a collapsible "Thinking" panel above the answer, and a status line.

    The panel opens while the model thinks and folds away when the answer starts (click to reopen). Updates
    are batched to at most one every `min_interval` seconds, so a fast stream does not flood the browser.
    `display=False` builds the widget without showing it (to place `view.widget` in a larger layout).
    """

    def __init__(self, title: str = "Thinking", min_interval: float = 0.1, display: bool = True) -> None:
        import ipywidgets as widgets

        self.title = title
        self.min_interval = min_interval
        self.auto_display = display
        self.thinking_box = widgets.HTML()
        self.panel = widgets.Accordion(children=[self.thinking_box], titles=(title,))
        self.panel.selected_index = None
        self.answer_box = widgets.Output()  # the answer is Markdown: JupyterLab renders it
        self.status = widgets.HTML()
        self.widget = widgets.VBox([self.panel, self.answer_box, self.status])
        self._thinking: list[str] = []
        self._answer: list[str] = []
        self._last_flush = 0.0
        self._answer_started = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def start(self) -> None:
        if self.auto_display:
            self._ipython_display_()
        self.status.value = _status_html("Waiting for the first token…")

    def update(self, kind: str, text: str, result: StreamResult) -> None:
        if kind == "reasoning":
            self._thinking.append(text)
            if self.panel.selected_index is None and not self._answer_started:
                self.panel.selected_index = 0
                self.panel.set_title(0, f"{self.title}…")
                self.status.value = _status_html("Thinking…")
        else:
            self._answer.append(text)
            if not self._answer_started:
                self._answer_started = True
                self.panel.selected_index = None  # fold the thinking away once the answer starts
                self.panel.set_title(0, self.title)
                self.status.value = _status_html("Answering…")
        if time.perf_counter() - self._last_flush >= self.min_interval:
            self._flush()

    def _flush(self) -> None:
        self._last_flush = time.perf_counter()
        self.thinking_box.value = _pre("".join(self._thinking))
        self._show_answer("".join(self._answer))

    def _show_answer(self, text: str) -> None:
        markdown = {"output_type": "display_data", "data": {"text/markdown": text, "text/plain": text}, "metadata": {}}
        self.answer_box.outputs = (markdown,) if text else ()

    def finish(self, result: StreamResult) -> None:
        self.thinking_box.value = _pre(result.thinking or "")
        self._show_answer(result.answer or "")
        self.panel.set_title(0, _panel_title(self.title, result))
        if result.thinking is None:
            self.panel.layout.display = "none"  # nothing to unfold
        elif result.answer is None and result.thinking:
            self.panel.selected_index = 0  # no answer: the thinking is all there is to read
        notes = result.notes()
        lines = [_status_html(note, "#8a6d00") for note in notes]
        if result.error is not None:  # the error is the last note: show it plainly, in red
            lines[-1] = _status_html(f"Error: {notes[-1]}", "#b00020", size="1em")
        if result.chunks:  # a request that failed outright has no timings worth showing
            lines.append(_status_html(result.timing_text()))
        self.status.value = "".join(lines)


def _panel_title(title: str, result: StreamResult) -> str:
    if result.thinking is None:
        return f"{title} (none)"
    if result.thinking == "":
        return f"{title} (empty)"
    words = len(result.thinking.split())
    cut = ", cut off" if not result.thinking_complete else ""
    return f"{title} ({words} words{cut})"


def _pre(text: str) -> str:
    # JupyterLab styles output <pre> with word-break: break-all, which splits words mid-word; undo that.
    style = "white-space: pre-wrap; word-break: normal; overflow-wrap: break-word; margin: 0; line-height: 1.4;"
    style += " font-family: inherit; color: #555; font-size: 0.92em;"
    return f'<pre style="{style}">{html.escape(text)}</pre>'


def _status_html(text: str, colour: str = "#555", size: str = "0.85em") -> str:
    style = f"color: {colour}; font-size: {size}; white-space: pre-wrap; line-height: 1.4; margin: 0.2em 0;"
    return f'<div style="{style}">{html.escape(text)}</div>'
