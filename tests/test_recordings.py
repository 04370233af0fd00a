"""Every recording says where it came from, and its token counts agree with DeepSeek-R1's tokenizer."""

from __future__ import annotations

import json

import pytest

from recorded_endpoint.__main__ import main
from recorded_endpoint.authoring import expected_usage, usage_problems
from recorded_endpoint.recordings import RecordingLibrary, canonical_messages
from recorded_endpoint.wire import Completion

LIBRARY = RecordingLibrary.from_directory()


@pytest.mark.parametrize("recording", LIBRARY.recordings, ids=lambda r: r.name)
def test_recording_has_provenance_and_consistent_usage(recording):
    assert recording.provenance["source"].strip(), "say where the recording came from"
    if recording.provenance["kind"] == "recorded":
        assert recording.provenance.get("date"), "a live recording carries its date"
    assert usage_problems(recording) == []


def test_the_published_answer_is_kept_with_its_published_usage():
    languages = LIBRARY.get("languages")
    response = languages.responses[0]
    assert languages.provenance["kind"] == "transcribed"
    assert response["usage"] == {"prompt_tokens": 11, "completion_tokens": 886, "total_tokens": 897}
    counted = expected_usage(languages, response)
    assert counted["prompt_tokens"] == 11  # the chat template on the user message alone
    assert 700 < counted["completion_tokens"] < 886  # the page shows less answer than was generated


def test_the_usage_check_catches_an_edited_text():
    recording = RecordingLibrary.from_directory().get("hello")  # a private copy: LIBRARY stays intact
    response = recording.responses[0]
    recording.responses[0] = dict(response, answer=response["answer"] + " Anything else?")
    assert any("completion_tokens" in problem for problem in usage_problems(recording))


def test_no_two_recordings_answer_the_same_request():
    seen = {}
    for recording in LIBRARY.recordings:
        key = (repr(recording.messages), repr(recording.params), recording.stream, recording.routes)
        assert key not in seen, f"{recording.name} duplicates {seen.get(key)}"
        seen[key] = recording.name


def test_content_parts_and_strings_match_alike():
    assert canonical_messages([{"role": "user", "content": [{"type": "text", "text": "Hello!"}]}]) == [
        {"role": "user", "content": "Hello!"}
    ]


@pytest.mark.parametrize("recording", LIBRARY.recordings, ids=lambda r: r.name)
def test_every_recording_names_the_model_it_came_from(recording):
    model = json.loads(recording.path.read_text(encoding="utf-8")).get("model")
    assert isinstance(model, dict) and isinstance(model.get("name"), str) and model["name"], "add a model field"
    named = {response["model"] for response in recording.responses if "model" in response}
    assert named <= {model["name"]}, "a response's own model must agree with the recording's"


def test_list_shows_each_recordings_model(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(LIBRARY.recordings)
    assert all(" DeepSeek-R1 v1 " in line for line in lines if line.split()[0] == "languages")


def test_replay_names_the_recordings_model_in_the_rendered_answer():
    answer = {"kind": "completion", "reasoning": "Hm.", "answer": "Hi.", "usage": {}}
    v4 = Completion(dict(answer), "v4-hello", model={"name": "DeepSeek-V4-Pro", "version": "1"})
    assert v4.body("v1")["model"] == "DeepSeek-V4-Pro"
    assert Completion(dict(answer), "hello").body("v1")["model"] == "DeepSeek-R1"  # recordings that name none
    assert (
        Completion(dict(answer, model="DeepSeek-R1-0528"), "r1", model={"name": "DeepSeek-R1"}).body("classic")["model"]
        == "DeepSeek-R1-0528"
    ), "a recorded answer's own model name wins"
