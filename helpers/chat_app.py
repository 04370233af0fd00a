"""A small DeepSeek-R1 chat inside JupyterLab, after the chat app of Azure-Samples/deepseek-python.

What it keeps from the sample: an async client (`AsyncAzureOpenAI` or `AsyncOpenAI`), streamed answers, the
model's thoughts in a collapsible panel above each answer, errors shown to the user instead of swallowed,
a conversation history sent back *without* the reasoning, and the client closed when the app closes.
In recorded mode, `suggestions=recorded_questions` offers the questions the recorded endpoint can answer next.

    app = ChatApp(async_azure_openai_client(), model=settings.deployment)
    app                                  # shows the chat: type a question, press Enter or Send
    await app.ask("Who painted the Mona Lisa?")   # the same, from code
    print(app.transcript())
    await app.close()
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .reasoning import history_without_reasoning
from .streaming import StreamResult, aconsume, describe_error
from .views import LiveView

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."  # the sample's system message


@dataclass(frozen=True)
class Turn:
    """One question, the messages sent for it, and what came back."""

    question: str
    sent: list[dict[str, Any]]
    result: StreamResult


class ChatApp:
    """A chat widget: a text box and Send button; per turn the question, a "Thoughts" panel and the answer.

    `ask(question)` is the whole turn and can be awaited from code, which is how a notebook checks the app
    without clicking. A turn that fails (a request error, a dropped stream) shows the error under the
    question and is left out of the history, so the next question is sent as if it never happened.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        suggestions: Callable[[list[dict[str, Any]]], list[str]] | None = None,
        **params: Any,
    ) -> None:
        from openai import AsyncOpenAI

        if not isinstance(client, AsyncOpenAI):
            raise TypeError(
                f"ChatApp streams with an async client, got {type(client).__name__}: use AsyncAzureOpenAI or "
                "AsyncOpenAI, e.g. helpers.clients.async_azure_openai_client()."
            )
        if client.is_closed():
            raise ValueError(
                "This client is closed (an earlier app closed it): make a new one for the app, e.g. "
                "ChatApp(async_azure_openai_client(), ...)."
            )
        self.client = client
        self.suggestions = suggestions  # messages so far -> questions to offer as buttons
        self.model = model
        self.system_prompt = system_prompt
        self.params = params  # extra request parameters, e.g. max_tokens
        self.history: list[dict[str, Any]] = []  # successful turns, assistant turns with their reasoning
        self.turns: list[Turn] = []
        self.closed = False
        self._tasks: set[asyncio.Task] = set()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()  # the kernel's loop
        except RuntimeError:  # made outside any event loop: use the one running when a question comes
            self._loop = None
        self._build_widgets()

    def _build_widgets(self) -> None:
        import ipywidgets as widgets

        self.log = widgets.VBox()  # grows with the conversation; JupyterLab scrolls the notebook
        self.prompt = widgets.Text(
            placeholder="Ask DeepSeek-R1 and press Enter", continuous_update=False, layout=widgets.Layout(flex="1")
        )
        self.send_button = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self.new_chat_button = widgets.Button(description="New chat", tooltip="Forget the conversation so far")
        self.prompt.observe(self._on_submit, names="value")
        self.send_button.on_click(lambda _: self._submit(self.prompt.value))
        self.new_chat_button.on_click(lambda _: self.new_chat())
        controls = widgets.HBox([self.prompt, self.send_button, self.new_chat_button])
        self.suggestion_bar = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([self.log, controls, self.suggestion_bar])
        self._show_suggestions()

    def _show_suggestions(self) -> None:
        """One button per question the suggestions function offers for the conversation so far."""
        import ipywidgets as widgets

        questions = self.suggestions(self.messages_for("")[:-1]) if self.suggestions and not self.closed else []
        buttons = []
        for question in questions:
            button = widgets.Button(description=question, tooltip="Ask this", layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, question=question: self._submit(question))
            buttons.append(button)
        label = [widgets.HTML("<i>Recorded questions you can ask now:</i>")] if buttons else []
        self.suggestion_bar.children = (*label, *buttons)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- a turn -----------------------------------------------------------------------------------------

    def messages_for(self, question: str) -> list[dict[str, Any]]:
        """What the next request sends: the system prompt, the history without reasoning, the question."""
        return [
            {"role": "system", "content": self.system_prompt},
            *history_without_reasoning(self.history),
            {"role": "user", "content": question},
        ]

    async def ask(self, question: str) -> StreamResult:
        """Send `question`, stream the answer into the chat, and return the result (errors included)."""
        if self.closed:
            raise RuntimeError("This chat is closed (its client was closed): create a new ChatApp.")
        question = question.strip()
        if not question:
            raise ValueError("The question is empty: type something to ask.")
        self._add(_bubble("You", question))
        view = LiveView(title="Thoughts", display=False)
        self._add(view.widget)
        sent = self.messages_for(question)
        request = self.client.chat.completions.create(
            model=self.model,
            messages=sent,  # type: ignore[arg-type]  # plain dicts in the shapes the SDK's TypedDicts describe
            stream=True,
            **self.params,
        )
        result = await aconsume(request, view=view)  # an error shows in red under the question, see LiveView
        if result.ok and result.answer is not None:
            self.history += [{"role": "user", "content": question}, result.message()]
        self.turns.append(Turn(question, sent, result))
        self._show_suggestions()
        return result

    def new_chat(self) -> None:
        """Forget the conversation: the next question starts a new one (the log stays on screen)."""
        self.history.clear()
        self._add(_bubble("", "New chat", colour="#888"))
        self._show_suggestions()

    async def close(self) -> None:
        """Wait for running turns, close the client (the sample's `after_app_serving`) and disable the input."""
        await asyncio.sleep(0)  # let a question submitted just now start its turn
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()
        self.closed = True
        self.prompt.disabled = self.send_button.disabled = self.new_chat_button.disabled = True
        self._show_suggestions()
        self._add(
            _bubble("", "Chat closed: the client is closed. Run the app's cell again for a new chat.", colour="#888")
        )

    async def __aenter__(self) -> ChatApp:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- what a reader (or nbval) can check --------------------------------------------------------------

    def transcript(self, last: int | None = None) -> str:
        """The conversation as plain text: questions, thoughts, answers and errors, one block per turn.

        `last=N` keeps the last N turns only.
        """
        blocks = []
        for turn in self.turns[-last:] if last else self.turns:
            result = turn.result
            lines = [f"You: {turn.question}"]
            if result.thinking:
                lines.append(f"Thoughts ({len(result.thinking.split())} words): {result.thinking}")
            if result.answer is not None:
                lines.append(f"DeepSeek-R1: {result.answer}")
            lines += [f"[{note}]" for note in result.notes()]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    # -- widgets ----------------------------------------------------------------------------------------

    def _on_submit(self, change: dict[str, Any]) -> None:
        self._submit(change["new"])

    def _submit(self, text: str) -> None:
        if not text.strip() or self.closed:
            return
        self.prompt.unobserve(self._on_submit, names="value")
        self.prompt.value = ""
        self.prompt.observe(self._on_submit, names="value")
        # Newer kernels may run widget callbacks in another thread and event loop (a "subshell"); the
        # client's connections belong to the loop the app was made in, so every turn runs there.
        loop = self._loop or asyncio.get_running_loop()
        loop.call_soon_threadsafe(self._start_turn, text)

    def _start_turn(self, text: str) -> None:
        task = asyncio.ensure_future(self._ask_from_ui(text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask_from_ui(self, text: str) -> None:
        self.send_button.disabled = True
        try:
            await self.ask(text)
        except Exception as error:  # noqa: BLE001 - a bug must still reach the user, not vanish in a task
            self._add(_bubble("Error", describe_error(error), colour="#b00020"))
        finally:
            self.send_button.disabled = self.closed

    def _add(self, widget: Any) -> None:
        self.log.children = (*self.log.children, widget)


def recorded_questions(messages: list[dict[str, Any]]) -> list[str]:
    """The questions the recorded endpoint can answer after `messages` (system prompt and history so far).

    Empty in live mode, where any question gets an answer. Pass it as `ChatApp(..., suggestions=recorded_questions)`.
    """
    import os

    if os.environ.get("COURSE_MODE") != "recorded":
        return []
    from recorded_endpoint import RecordingLibrary
    from recorded_endpoint.recordings import canonical_messages

    sent = canonical_messages(history_without_reasoning(messages))
    questions = []
    for recording in RecordingLibrary.from_directory().recordings:
        *before, last = recording.messages
        if before == sent and last["role"] == "user" and not recording.params and last["content"] not in questions:
            questions.append(last["content"])
    return questions


def _bubble(who: str, text: str, colour: str = "#222") -> Any:
    import ipywidgets as widgets

    label = f"<b>{html.escape(who)}:</b> " if who else ""
    style = f"white-space: pre-wrap; color: {colour}; margin: 0.4em 0;"
    return widgets.HTML(f'<div style="{style}">{label}{html.escape(text)}</div>')
