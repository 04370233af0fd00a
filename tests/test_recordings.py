"""Every recording says where it came from, and its token counts agree with DeepSeek-R1's tokenizer."""

from __future__ import annotations

import pytest

from recorded_endpoint.authoring import expected_usage, usage_problems
from recorded_endpoint.recordings import RecordingLibrary, canonical_messages

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
