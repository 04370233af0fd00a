"""The course's errors as short messages: real SDK errors from real requests, and IPython showing them short."""

from __future__ import annotations

import nbclient
import nbformat
import openai
import pytest

from helpers.errors import short_message
from recorded_endpoint.background import free_port


def v1_client(env: dict, **overrides) -> openai.OpenAI:
    options = {"base_url": f"{env['AZURE_OPENAI_ENDPOINT']}/openai/v1/", "api_key": env["AZURE_OPENAI_API_KEY"]}
    return openai.OpenAI(**{**options, **overrides}, max_retries=0)


def error_of(client: openai.OpenAI, model: str = "DeepSeek-R1", content: str = "Hello!") -> openai.APIError:
    with pytest.raises(openai.APIError) as caught:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}])
    return caught.value


def test_an_unrecorded_prompt_says_how_to_go_live(replay_env):
    message = short_message(error_of(v1_client(replay_env), content="Hello there, unrecorded!"))
    assert "is not recorded" in message and ".env" in message and "restart the kernel" in message


def test_a_refused_key_names_the_variable(replay_env):
    message = short_message(error_of(v1_client(replay_env, api_key="not-the-key")))
    assert message.startswith("HTTP 401") and "AZURE_OPENAI_API_KEY" in message and "restart the kernel" in message


def test_a_wrong_deployment_names_the_variable(replay_env):
    message = short_message(error_of(v1_client(replay_env), model="no-such-deployment"))
    assert "DeploymentNotFound" in message and "AZURE_DEEPSEEK_DEPLOYMENT" in message


def test_an_unreachable_endpoint_live_names_the_endpoint_and_the_cause(replay_env, monkeypatch):
    nobody = f"http://127.0.0.1:{free_port('127.0.0.1')}"  # a port nothing listens on
    monkeypatch.setenv("COURSE_MODE", "live")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", nobody)
    message = short_message(error_of(v1_client(replay_env, base_url=f"{nobody}/openai/v1/")))
    assert f"Cannot reach {nobody}" in message and "refused" in message.lower()
    assert "AZURE_OPENAI_ENDPOINT in .env" in message and "restart the kernel" in message


def test_other_errors_keep_their_traceback():
    assert short_message(ValueError("a bug of the learner's own")) is None


@pytest.mark.slow  # a kernel or a subprocess of its own
def test_a_notebook_shows_the_short_message_and_percent_tb_the_full_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "recorded")
    monkeypatch.setenv("REPLAY_TIMING", "none")
    import helpers

    repo = helpers.__file__.rsplit("/helpers/", 1)[0]
    notebook = nbformat.v4.new_notebook()
    failing = nbformat.v4.new_code_cell(
        "client = openai.OpenAI(base_url=settings.v1_base_url, api_key=settings.api_key, max_retries=0)\n"
        "client.chat.completions.create(\n"
        "    model=settings.deployment, messages=[{'role': 'user', 'content': 'Unrecorded?'}]\n"
        ")"
    )
    failing.metadata["tags"] = ["raises-exception"]
    notebook.cells = [
        nbformat.v4.new_code_cell(
            f"import sys; sys.path.insert(0, {repo!r})\nimport openai, helpers\nsettings = helpers.setup()"
        ),
        failing,
        nbformat.v4.new_code_cell("%tb"),
    ]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    [error] = [o for o in notebook.cells[1].outputs if o.output_type == "error"]
    assert error.ename == "BadRequestError"  # the cell still fails, as raises-exception expects
    shown = "\n".join(error.traceback)
    assert len(error.traceback) == 2 and "Going live" in shown and "%tb" in shown
    full = "\n".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in notebook.cells[2].outputs)
    assert full.count("\n") > 20 and "_base_client" in full  # the SDK's frames, when asked for


def test_a_retired_model_live_names_the_retirement_and_the_fix(monkeypatch):
    import httpx

    monkeypatch.setenv("COURSE_MODE", "live")
    request = httpx.Request("POST", "https://example.openai.azure.com/openai/v1/chat/completions")
    body = {"error": {"code": "DeploymentNotFound", "message": "The model DeepSeek-R1 has been retired."}}
    response = httpx.Response(404, request=request, json=body)
    error = openai.NotFoundError("Error code: 404", response=response, body=body["error"])
    message = short_message(error)
    assert "retired" in message and "DeepSeek-V4-Pro" in message and "AZURE_DEEPSEEK_MODEL" in message
