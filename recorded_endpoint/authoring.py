"""Keep authored recordings honest: their usage must be what DeepSeek-R1's tokenizer counts.

python -m recorded_endpoint check          # report recordings whose usage disagrees with the tokenizer
python -m recorded_endpoint check --fix    # rewrite the usage of authored recordings
"""

from __future__ import annotations

import json
from typing import Any

from helpers.reasoning import think_block
from helpers.tokens import count_prompt_tokens, count_tokens

from .recordings import Recording, RecordingLibrary


def expected_usage(recording: Recording, response: dict[str, Any]) -> dict[str, int]:
    """Usage as the tokenizer counts it: the templated prompt, and the generated text.

    The generated text is ``<think>\\n…\\n</think>\\n\\n`` plus the answer: the chat template this model
    ships ends the prompt at ``<｜Assistant｜>``, so the model writes the opening tag itself. The end-of-
    sentence token is not counted.
    """
    prompt = count_prompt_tokens(recording.messages)
    complete = response.get("finish_reason", "stop") != "length"
    completion = count_tokens(think_block(response.get("reasoning"), response.get("answer"), complete))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def usage_problems(recording: Recording) -> list[str]:
    """What is wrong with a recording's usage numbers, as sentences; empty when all agree."""
    problems = []
    for index, response in enumerate(recording.responses):
        if response.get("kind") != "completion":
            continue
        usage = response["usage"]
        if usage["prompt_tokens"] + usage["completion_tokens"] != usage["total_tokens"]:
            problems.append(f"response {index}: total_tokens is not prompt + completion")
        expected = expected_usage(recording, response)
        if recording.provenance["kind"] == "authored":
            for key in ("prompt_tokens", "completion_tokens"):
                if usage[key] != expected[key]:
                    problems.append(f"response {index}: {key} {usage[key]}, the tokenizer counts {expected[key]}")
        elif recording.provenance["kind"] == "transcribed":
            # Published pages may cut the text short, so the published count can only be larger.
            if usage["prompt_tokens"] != expected["prompt_tokens"]:
                problems.append(
                    f"response {index}: prompt_tokens {usage['prompt_tokens']}, "
                    f"the template gives {expected['prompt_tokens']}"
                )
            if usage["completion_tokens"] < expected["completion_tokens"]:
                problems.append(
                    f"response {index}: completion_tokens {usage['completion_tokens']} is less than "
                    f"the visible text's {expected['completion_tokens']}"
                )
    return problems


def fix_usage(recording: Recording) -> bool:
    """Rewrite the usage of an authored recording's file from the tokenizer; True if it changed."""
    if recording.provenance["kind"] != "authored":
        return False
    data = json.loads(recording.path.read_text(encoding="utf-8"))
    responses = data.get("responses") or [data["response"]]
    changed = False
    for stored, resolved in zip(responses, recording.responses, strict=True):
        if stored.get("kind") == "completion":
            expected = expected_usage(recording, resolved)
            if stored.get("usage") != expected:
                stored["usage"] = expected
                changed = True
    if changed:
        recording.path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def check(fix: bool = False) -> int:
    """Print the recordings whose usage disagrees with the tokenizer; with ``fix``, repair authored ones."""
    library = RecordingLibrary.from_directory()
    failures = 0
    for recording in library.recordings:
        if fix and fix_usage(recording):
            print(f"fixed    {recording.name}")
            continue
        problems = usage_problems(recording)
        failures += bool(problems)
        for problem in problems:
            print(f"MISMATCH {recording.name}: {problem}")
    print(f"{len(library.recordings)} recordings checked, {failures} with usage problems")
    return 1 if failures else 0
