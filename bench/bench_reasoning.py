"""Benchmark: splitting a streamed DeepSeek-R1 response into reasoning and answer.

Run: python bench/bench_reasoning.py          (about a minute)
     python bench/bench_reasoning.py --full   (adds the slowest quadratic baseline runs, several minutes)

Three splitters get the same chunks in the same process:

- ReasoningStream (helpers.reasoning): a state machine that looks at each chunk plus at most 7 held
  characters.
- naive: appends the chunk, joins everything received so far and re-runs a regex split on it, then emits
  what is new. The cost per chunk grows with the history, so a stream costs O(n^2).
- vLLM-style: a re-implementation of the decision table of vLLM's DeepSeek-R1 reasoning parser
  (BaseThinkingReasoningParser.extract_reasoning_streaming plus the R1 subclass for a missing <think>).
  It is stateless and decides per delta with `tag_id in previous_token_ids` tests on the Python list of
  all token ids so far. With one token per delta the ids are the real ones. With 1-character deltas
  there are no real per-delta ids, so each character gets the ids of encoding it alone, as a proxy
  re-chunking the text would give; a tag then never arrives as one id, and the split is wrong as well.

The text is a deterministic R1-shaped response: "<think>\\n" + ~16k tokens of reasoning + "\\n</think>\\n\\n"
+ an answer, streamed one token per chunk (cut with helpers.tokens) and one character per chunk.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable

from helpers.reasoning import ReasoningStream, split_reasoning
from helpers.tokens import THINK_CLOSE_ID, THINK_OPEN_ID, tokenizer

OPEN, CLOSE = "<think>", "</think>"
WORDS = (
    "Okay, the user is asking how many languages exist in the world. I need to check Ethnologue, "
    "which lists about 7,168 living languages, while Glottolog may count differently. Wait, let me "
    "verify – dialects versus languages is a political question; Mandarin and Cantonese are "
    "mutually unintelligible. Papua New Guinea has over 800 languages. Hmm, sign languages (over 300) "
    "might be counted too. So the answer should say about 7,000, explain why it varies, and cite "
    "sources. Also, 日本語 and Español are examples; maybe add 10% as a margin? Let's compute 7000*0.1."
).split(" ")


# -- inputs ---------------------------------------------------------------------------------------------


def reasoning_text(target_tokens: int, seed: int = 7) -> str:
    """Deterministic reasoning of about `target_tokens` tokens: shuffled sentences and paragraphs."""
    rng = random.Random(seed)
    paragraphs, tokens = [], 0
    while tokens < target_tokens:
        words = [rng.choice(WORDS) for _ in range(rng.randint(30, 90))]
        paragraph = " ".join(words)
        paragraphs.append(paragraph)
        tokens += len(tokenizer().encode(paragraph, add_special_tokens=False).ids) + 1
    return "\n\n".join(paragraphs)


def response_text(target_tokens: int) -> str:
    answer = "The exact number is hard to pin down, but about **7,000 languages** are spoken today."
    return f"{OPEN}\n{reasoning_text(target_tokens)}\n{CLOSE}\n\n{answer}"


def token_deltas(text: str) -> list[tuple[str, list[int]]]:
    """(delta_text, delta_token_ids), one token per delta; tokens inside one character are merged."""
    encoding = tokenizer().encode(text, add_special_tokens=False)
    deltas: list[tuple[str, list[int]]] = []
    start, ids = 0, []
    for token_id, (_, end) in zip(encoding.ids, encoding.offsets, strict=True):
        ids.append(token_id)
        if end > start:
            deltas.append((text[start:end], ids))
            start, ids = end, []
    if ids:
        deltas[-1][1].extend(ids)
    assert "".join(piece for piece, _ in deltas) == text
    return deltas


def char_deltas(text: str) -> list[tuple[str, list[int]]]:
    ids_of = {char: tokenizer().encode(char, add_special_tokens=False).ids for char in set(text)}
    return [(char, ids_of[char]) for char in text]


# -- the three splitters: each takes the deltas and returns (reasoning, answer) as streamed ----------


def run_reasoning_stream(deltas, starts_in_thinking=False) -> tuple[str, str]:
    stream = ReasoningStream(starts_in_thinking=starts_in_thinking)
    reasoning, answer = [], []
    for text, _ in deltas:
        for kind, piece in stream.feed(text):
            (reasoning if kind == "reasoning" else answer).append(piece)
    for kind, piece in stream.close():
        (reasoning if kind == "reasoning" else answer).append(piece)
    return "".join(reasoning), "".join(answer)


NAIVE_PATTERN = re.compile(r"\s*<think>(.*?)(?:</think>\s*(.*))?\Z", re.DOTALL)


def naive_split(text: str) -> tuple[str, str]:
    match = NAIVE_PATTERN.match(text)
    if not match:
        return "", text.lstrip()
    return match.group(1).strip(), match.group(2) or ""


def run_naive(deltas, starts_in_thinking=False) -> tuple[str, str]:
    received: list[str] = []
    reasoning, answer = [], []
    sent_reasoning = sent_answer = 0
    for text, _ in deltas:
        received.append(text)
        thinking_now, answer_now = naive_split("".join(received))
        reasoning.append(thinking_now[sent_reasoning:])
        answer.append(answer_now[sent_answer:])
        sent_reasoning, sent_answer = len(thinking_now), len(answer_now)
    return "".join(reasoning), "".join(answer)


def vllm_style_delta(previous_ids: list[int], delta_ids: list[int], delta_text: str):
    """One call of the decision table: returns (reasoning, content) for this delta, or None."""
    start_id, end_id = THINK_OPEN_ID, THINK_CLOSE_ID
    if len(delta_ids) == 1 and delta_ids[0] in (start_id, end_id):
        return None
    if start_id in previous_ids:
        if end_id in delta_ids:
            end = delta_text.find(CLOSE)
            return delta_text[:end], delta_text[end + len(CLOSE) :] or None
        if end_id in previous_ids:
            return None, delta_text
        return delta_text, None
    if start_id in delta_ids:
        if end_id in delta_ids:
            start, end = delta_text.find(OPEN), delta_text.find(CLOSE)
            return delta_text[start + len(OPEN) : end], delta_text[end + len(CLOSE) :] or None
        return delta_text, None
    # Base class: content. The R1 subclass re-decides when no start token was seen anywhere:
    if start_id not in previous_ids and start_id not in delta_ids:
        if end_id in delta_ids:
            end = delta_text.find(CLOSE)
            return delta_text[:end], delta_text[end + len(CLOSE) :] or None
        if end_id in previous_ids:
            return None, delta_text
        return delta_text, None
    return None, delta_text


def run_vllm_style(deltas, starts_in_thinking=False) -> tuple[str, str]:
    previous_ids: list[int] = []
    reasoning, answer = [], []
    for text, ids in deltas:
        result = vllm_style_delta(previous_ids, ids, text)
        previous_ids.extend(ids)  # the harness adds O(delta) per call, as the server's list grows
        if result:
            if result[0]:
                reasoning.append(result[0])
            if result[1]:
                answer.append(result[1])
    return "".join(reasoning).strip(), "".join(answer).lstrip()


SPLITTERS: dict[str, Callable] = {
    "ReasoningStream": run_reasoning_stream,
    "naive rescan": run_naive,
    "vLLM-style": run_vllm_style,
}


# -- timing ---------------------------------------------------------------------------------------------


def best_time(run: Callable, deltas, repeats: int, **kwargs) -> tuple[float, tuple[str, str]]:
    """Best of `repeats` runs, in CPU time of this process: other load on a shared machine does not count."""
    best, output = float("inf"), ("", "")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        start = time.process_time_ns()
        output = run(deltas, **kwargs)
        elapsed = time.process_time_ns() - start
        gc.enable()
        best = min(best, elapsed)
    return best / 1e9, output


def is_correct(output: tuple[str, str], text: str, starts_in_thinking: bool) -> bool:
    expected = split_reasoning(text, starts_in_thinking=starts_in_thinking)
    return output == (expected.thinking or "", expected.answer or "")


SIZES = (1000, 4000, 16000)  # reasoning tokens; each size is 4x the previous one


def skip(name: str, shape: str, chunking: str, target: int, full: bool) -> bool:
    """Which baseline runs to leave out so the default run stays around a minute (see --full)."""
    if name == "naive rescan":
        # Its cost does not depend on the shape. It is quadratic: 16k tokens take over a minute.
        return shape != "with <think>" or (target == 16000 and not full)
    if name == "vLLM-style":
        return target == 16000 and chunking == "1 char" and not full  # quadratic: about a minute
    return False


Results = dict[tuple[str, str, int, str], tuple[float, int]]


def timing_table(full: bool) -> Results:
    results: Results = {}
    print(f"{'workload':<38}{'splitter':<17}{'chunks':>8}{'total ms':>11}{'µs/chunk':>11}  streamed split")
    for shape, starts_in_thinking in (("with <think>", False), ("template <think>", True)):
        for target in SIZES:
            text = response_text(target)
            if starts_in_thinking:
                text = text[len(OPEN) :]  # the prompt carried <think>: the output starts inside it
            tokens = len(tokenizer().encode(text, add_special_tokens=False).ids)
            for chunking, deltas in (("1 token", token_deltas(text)), ("1 char", char_deltas(text))):
                for name, run in SPLITTERS.items():
                    if skip(name, shape, chunking, target, full):
                        continue
                    repeats = 9 if name == "ReasoningStream" else 1
                    seconds, output = best_time(run, deltas, repeats, starts_in_thinking=starts_in_thinking)
                    verdict = "correct" if is_correct(output, text, starts_in_thinking) else "WRONG"
                    results[(shape, chunking, target, name)] = (seconds, len(deltas))
                    workload = f"{shape}, {tokens / 1000:.1f}k tok, {chunking}"
                    print(
                        f"{workload:<38}{name:<17}{len(deltas):>8}{seconds * 1e3:>11.1f}"
                        f"{seconds * 1e6 / len(deltas):>11.2f}  {verdict}"
                    )
    if not full:
        print(
            "(left out, quadratic: naive rescan at 16k tokens, vLLM-style on 1-char chunks at 16k tokens; "
            "run with --full to include them. naive rescan runs on the <think> shape only: same cost.)"
        )
    return results


def print_ratios(results: Results) -> None:
    print("\nSpeed-up: time of the baseline / time of ReasoningStream, same input and chunks:")
    for (shape, chunking, target, name), (seconds, _) in results.items():
        if name != "ReasoningStream":
            ours = results[(shape, chunking, target, "ReasoningStream")][0]
            workload = f"{shape:<17} {target // 1000:>2}k tokens, {chunking:<8}"
            print(f"  vs {name:<13} {workload}: {seconds / ours:8.1f}x")
    print("\nGrowth: total time for 4x the input (linear: at most 4.5x), largest measured pair:")
    for (shape, chunking, target, name), (seconds, chunks) in results.items():
        bigger = results.get((shape, chunking, target * 4, name))
        if not bigger or results.get((shape, chunking, target * 16, name)):
            continue
        growth = bigger[0] / seconds
        verdict = "linear" if growth <= 4.5 * (bigger[1] / chunks) / 4 else "superlinear"
        sizes = f"{target // 1000}k->{target * 4 // 1000}k"
        print(
            f"  {name:<15} {shape:<17} {chunking:<8} {sizes:<8}: {growth:6.2f}x time for "
            f"{bigger[1] / chunks:.2f}x chunks ({verdict})"
        )


# -- correctness ----------------------------------------------------------------------------------------

FRAGMENTS = [
    "<think>",
    "</think>",
    "<",
    "/",
    "think",
    ">",
    "<th",
    "</th",
    "ink>",
    "\n",
    "\n\n",
    " ",
    "a",
    "Z",
    "é",
    "日本",
    "🎉",
]


def random_chunks(rng: random.Random, text: str) -> list[str]:
    if rng.random() < 0.25:
        return list(text)
    chunks, position = [], 0
    while position < len(text):
        size = rng.randint(1, 6)
        chunks.append(text[position : position + size])
        position += size
    return chunks


def correctness_run(cases: int = 5000, seed: int = 11) -> None:
    """Each splitter in the mode it implements: naive = no implicit <think>; vLLM-style = implicit <think>."""
    rng = random.Random(seed)
    checks = [
        ("ReasoningStream", False),
        ("ReasoningStream", True),
        ("naive rescan", False),
        ("vLLM-style", True),
    ]
    mismatches = dict.fromkeys(checks, 0)
    for _ in range(cases):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 16)))
        chunks = random_chunks(rng, text)
        deltas = [(chunk, tokenizer().encode(chunk, add_special_tokens=False).ids) for chunk in chunks]
        for name, starts_in_thinking in checks:
            output = SPLITTERS[name](deltas, starts_in_thinking=starts_in_thinking)
            if not is_correct(output, text, starts_in_thinking):
                mismatches[(name, starts_in_thinking)] += 1
    print(
        f"\nCorrectness: {cases} random texts from tag fragments x random chunkings (25% 1-char);"
        " streamed output vs split_reasoning(text, starts_in_thinking) of the whole text:"
    )
    for (name, starts_in_thinking), count in mismatches.items():
        print(f"  {name:<15} starts_in_thinking={starts_in_thinking!s:<5} {count:>5} mismatches")


def main() -> None:
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; {sys.executable}"
    )
    full = "--full" in sys.argv[1:]
    started = time.perf_counter()
    tokenizer()
    results = timing_table(full)
    print_ratios(results)
    correctness_run()
    print(f"\nTotal benchmark time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
