"""The recorded endpoint's commands (`list`, `check`, `check --fix`) and its timing setting."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from recorded_endpoint.__main__ import main
from recorded_endpoint.app import Timing
from recorded_endpoint.recordings import RECORDINGS_DIR, RecordingLibrary

SHIPPED = sorted(RECORDINGS_DIR.glob("*.json"))


def test_list_prints_one_line_per_recording_with_its_provenance():
    done = subprocess.run(
        [sys.executable, "-m", "recorded_endpoint", "list"], capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(SHIPPED)
    by_name = {line.split()[0]: line for line in lines}
    assert set(by_name) == {path.stem for path in SHIPPED}
    assert by_name["languages"].split()[1] == "transcribed"
    assert "'Who painted the Mona Lisa?'" in by_name["mona-lisa"]


def test_check_passes_on_the_shipped_recordings(capsys):
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{len(SHIPPED)} recordings checked, 0 with usage problems"


@pytest.fixture
def recordings_copy(tmp_path, monkeypatch):
    """A copy of the shipped recordings that the commands read instead of the real ones."""
    for path in SHIPPED:
        shutil.copy(path, tmp_path / path.name)
    load = RecordingLibrary.from_directory.__func__
    monkeypatch.setattr(
        RecordingLibrary, "from_directory", classmethod(lambda cls, directory=tmp_path: load(cls, directory))
    )
    return tmp_path


def test_check_reports_a_wrong_usage_and_fix_rewrites_it_from_the_tokenizer(recordings_copy, capsys):
    path = recordings_copy / "mona-lisa.json"
    original = json.loads(path.read_text(encoding="utf-8"))
    broken = json.loads(path.read_text(encoding="utf-8"))
    broken["response"]["usage"]["completion_tokens"] += 5
    broken["response"]["usage"]["total_tokens"] += 5
    path.write_text(json.dumps(broken, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    assert main(["check"]) == 1
    out = capsys.readouterr().out
    expected = original["response"]["usage"]["completion_tokens"]
    assert f"MISMATCH mona-lisa: response 0: completion_tokens {expected + 5}, the tokenizer counts {expected}" in out
    assert out.splitlines()[-1].endswith("1 with usage problems")

    assert main(["check", "--fix"]) == 0
    assert "fixed    mona-lisa" in capsys.readouterr().out.splitlines()
    assert json.loads(path.read_text(encoding="utf-8"))["response"]["usage"] == original["response"]["usage"]
    assert main(["check"]) == 0  # and the fix holds


def test_fix_leaves_a_transcribed_recording_alone(recordings_copy, capsys):
    path = recordings_copy / "languages.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["response"]["usage"]["prompt_tokens"] += 1
    data["response"]["usage"]["total_tokens"] += 1
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    assert main(["check", "--fix"]) == 1  # a published count is never rewritten: it is reported
    assert "MISMATCH languages: response 0: prompt_tokens" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("text", "factor"), [("none", 0.0), ("recorded", 1.0), ("scaled:10", 0.1), ("scaled:0.5", 2.0)]
)
def test_timing_parses_the_documented_forms(text, factor):
    assert Timing.parse(text).factor == pytest.approx(factor)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fast", "use none, recorded or scaled:F"),
        ("Recorded", "use none, recorded or scaled:F"),
        ("", "use none, recorded or scaled:F"),
        ("scaled:0", "F > 0"),
        ("scaled:-2", "F > 0"),
    ],
)
def test_timing_refuses_other_forms_with_the_fix(text, message):
    with pytest.raises(ValueError, match=message):
        Timing.parse(text)


def test_timing_with_a_factor_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        Timing.parse("scaled:ten")


def test_serve_with_a_bad_timing_exits_with_the_message(capsys):
    assert main(["serve", "--port", "0", "--timing", "fast"]) == 2
    assert "use none, recorded or scaled:F" in capsys.readouterr().err
