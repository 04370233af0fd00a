"""`.env.sample` documents every variable the course reads, and only those."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(
    r"""(?:(?:_env|_https_url)\(source, |environ\[|environ\.get\(|getenv\(|\.get\()["']([A-Z][A-Z0-9_]{5,})["']"""
)
NOT_FOR_LEARNERS = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CI"}


def variables_in_sample() -> set[str]:
    lines = (ROOT / ".env.sample").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def variables_read_by_code() -> set[str]:
    names = set()
    for path in [*ROOT.glob("helpers/**/*.py")]:
        names |= set(READ.findall(path.read_text()))
    return names - NOT_FOR_LEARNERS


def test_every_variable_the_code_reads_is_documented():
    assert variables_read_by_code() - variables_in_sample() == set()


def test_the_sample_documents_nothing_the_code_ignores():
    exported_by_replay = set(re.findall(r'"([A-Z_]{6,})":', (ROOT / "recorded_endpoint/__init__.py").read_text()))
    assert variables_in_sample() - variables_read_by_code() - exported_by_replay == set()


def test_the_sample_holds_no_values_for_secrets():
    for line in (ROOT / ".env.sample").read_text().splitlines():
        if re.match(r"^[A-Z_]*(KEY|TOKEN|CREDENTIAL)=", line):
            assert line.endswith("="), line
