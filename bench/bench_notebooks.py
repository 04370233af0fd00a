"""Wall time of the lessons under nbval vs the same number of trivial notebooks run the same way.

Starting a kernel dominates a short notebook; the ratio shows what the lessons themselves (the recorded
endpoint, the SDK calls, the rendering) add on top of that fixed cost.

    python bench/bench_notebooks.py [notebooks/00_start_here.ipynb ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests/nbval_sanitize.cfg")]


def run_nbval(paths: list[Path]) -> float:
    env = dict(os.environ, COURSE_MODE="recorded", REPLAY_TIMING="none")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NBVAL, *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"nbval failed:\n{result.stdout[-2000:]}")
    return elapsed


def trivial_notebooks(count: int, directory: Path) -> list[Path]:
    paths = []
    for index in range(count):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = directory / f"empty_{index:02d}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def main() -> None:
    lessons = [Path(p) for p in sys.argv[1:]] or sorted(ROOT.glob("notebooks/[0-9]*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        empties = trivial_notebooks(len(lessons), Path(tmp))
        run_nbval(empties[:1])  # warm the file cache and bytecode
        lesson_time, empty_time = run_nbval(lessons), run_nbval(empties)
    print(f"{len(lessons)} notebooks under nbval (recorded mode, no stream delays)")
    print(f"  lessons           {lesson_time:7.2f} s")
    print(f"  trivial notebooks {empty_time:7.2f} s")
    print(f"ratio lessons / trivial: {lesson_time / empty_time:.2f}  (aim <= 1.5)")


if __name__ == "__main__":
    main()
