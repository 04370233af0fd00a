"""Nothing key- or token-shaped in what the course ships: notebooks (with outputs), recordings, docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET_SHAPES = {
    "JSON web token": re.compile(r"eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}"),
    "32-hex key (Azure AI services key)": re.compile(r"\b[a-fA-F0-9]{32}\b"),
    "84-character key (Azure AI services key)": re.compile(r"\b[A-Za-z0-9]{84}\b"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    "storage connection string": re.compile(r"AccountKey=[^;\s]{10,}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
    "bearer token": re.compile(r"Bearer\s+(?!recorded-entra)[A-Za-z0-9._~+/=-]{24,}"),
    "subscription id": re.compile(
        r"/subscriptions/(?!00000000-0000-0000-0000-000000000000)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    ),
}
SHIPPED = [
    *ROOT.glob("notebooks/*.ipynb"),
    *ROOT.glob("recorded_endpoint/recordings/*.json"),
    *ROOT.glob("docs/**/*.md"),
    *ROOT.glob("*.md"),
    ROOT / ".env.sample",
]


def readable_text(path: Path) -> str:
    """The file's text; for a notebook, its sources and outputs without base64 images (not text, and full of
    long alphanumeric runs that look like keys) and without widget model ids (random 32-hex uuids)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return text
    notebook = json.loads(text)
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in [m for m in data if m.startswith("image/") and m != "image/svg+xml"]:
                del data[mime]
            data.pop("application/vnd.jupyter.widget-view+json", None)
    return json.dumps(notebook)


def find_secrets(text: str) -> list[str]:
    return [
        f"{name}: {match.group(0)[:12]}…" for name, pattern in SECRET_SHAPES.items() for match in pattern.finditer(text)
    ]


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.is_file()], ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_file_holds_nothing_secret_shaped(path):
    assert find_secrets(readable_text(path)) == []


@pytest.mark.parametrize(
    "sample",
    [
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzIn0",
        "api-key: 0123456789abcdef0123456789abcdef",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
        "/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg",
    ],
)
def test_the_scanner_catches_real_looking_secrets(sample):
    assert find_secrets(sample)


def test_the_scanner_lets_the_public_recorded_key_through():
    from recorded_endpoint import DEFAULT_API_KEY

    assert (
        find_secrets(f"api-key: {DEFAULT_API_KEY}\nAuthorization: Bearer recorded-entra:cognitiveservices.azure.com")
        == []
    )
