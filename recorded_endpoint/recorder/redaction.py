"""What must never reach a recording: the values this run knows are secret, and every secret shape.

Two tools work together. The :class:`Redactor` replaces what it knows (credentials, upstream hosts, resource
and deployment names) in every string that is kept. :func:`find_secret_like` is the last check before a file
is written: any hit, and the file is not written at all. Both look at the joined text of a stream as well as
at its chunks, because token-by-token streaming splits any string across chunks.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from helpers.settings import GUID

from ..constants import LOOPBACK

# The `model` a response names is kept only when it is a public model name (a deployment name is not).
KNOWN_MODEL_NAMES = frozenset(
    "DeepSeek-R1 DeepSeek-R1-0528 DeepSeek-V4-Pro DeepSeek-V4-Flash deepseek-r1 deepseek-ai/DeepSeek-R1 "
    "deepseek-ai/DeepSeek-R1-0528 deepseek-ai/DeepSeek-R1-Turbo deepseek-reasoner".split()
)
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
REDACTED = "<redacted>"
# Known values this long are matched anywhere (inside a word, in any case); shorter ones only as whole words.
MATCH_ANYWHERE_FROM = 8
# Separators a copy of a key may carry between its characters ("0123 4567 …", "0123-4567-…").
_SEPARATOR = r"[\s._:-]{0,2}"
SPACED_UP_TO = 100  # longer values (Entra tokens) are looked for as written: nobody copies them out by hand

AZURE_HOST = re.compile(
    r"\b[A-Za-z0-9-]+\.(?:openai|services\.ai|cognitiveservices|models\.ai|inference\.ai|api\.azureml)\.azure\.com\b"
)
URL_SECRET = re.compile(
    r"[?&](?:sig|code|key|api-key|api_key|token|access_token|subscription-key)=(?!<redacted>)[^&\s\"']+"
)
# Query-string parameters whose value is a credential: learned as secrets when a client sends them.
SECRET_QUERY_KEYS = frozenset("sig code key api-key api_key token access_token subscription-key".split())
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
SECRET_SHAPES: dict[str, re.Pattern[str]] = {
    "a JSON web token (eyJ…)": re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}"),
    "a key-shaped hex string": re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])"),
    "an 84-character key": re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{84}(?![A-Za-z0-9])"),
    "an sk-… key": re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    "a bearer token": re.compile(r"Bearer\s+(?!<redacted>)\S{16,}"),
    "a storage account key": re.compile(r"AccountKey=[^;\s]{8,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
    "a secret in a URL": URL_SECRET,
    "an Azure resource hostname": AZURE_HOST,
}
_SCHEMA_KEY = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True)
class Finding:
    """Something secret-shaped in a recording: the field path and what it looks like (never the value)."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where} holds {self.what}"


def _key_in_path(key: Any, index: int) -> str:
    """A key as a refusal message may print it: schema keys by name, anything else by position."""
    return str(key) if isinstance(key, str) and _SCHEMA_KEY.fullmatch(key) else f"<key {index}>"


def kept_strings(data: Any, where: str = "$") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, keys included, with its path; and the joined text of every chunk list."""
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, dict):
        for index, (key, value) in enumerate(data.items()):
            path = f"{where}.{_key_in_path(key, index)}"
            yield path, str(key)
            yield from kept_strings(value, path)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from kept_strings(value, f"{where}[{index}]")
        texts = [item.get("text") for item in data if isinstance(item, dict)]
        if len(texts) > 1 and all(isinstance(text, str) for text in texts):
            yield f"{where}[*].text joined", "".join(texts)


def is_long_mixed_token(text: str) -> bool:
    """A run of 40+ key characters mixing digits, capitals and small letters, as random tokens do."""
    return any(
        re.search(r"\d", m) and re.search(r"[A-Z]", m) and re.search(r"[a-z]", m) for m in LONG_TOKEN.findall(text)
    )


def _copies(value: str) -> set[str]:
    """The forms a secret is seen in besides itself: reversed, and base64 (standard and URL-safe)."""
    raw = value.encode()
    encoded = {base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return {value, value[::-1], *encoded}


def known_value_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for known secret values and their copies.

    Values of 8 characters or more match anywhere, also with separators between their characters (a key
    written in groups of four); shorter ones (4-7) only as whole words, so that a short name cannot make
    every text unwritable. The pattern is compiled once per set of values.
    """
    return _compiled(frozenset(values))


@functools.lru_cache(maxsize=32)
def _compiled(values: frozenset[str]) -> re.Pattern[str] | None:
    anywhere, words = set(), set()
    for value in values:
        if not value or len(value) < 4:
            continue
        if len(value) >= MATCH_ANYWHERE_FROM:
            anywhere.update(_copies(value))
        else:
            words.add(value)
    alternatives = [
        _SEPARATOR.join(map(re.escape, value)) if len(value) <= SPACED_UP_TO else re.escape(value)
        for value in sorted(anywhere, key=len, reverse=True)
    ]
    alternatives += [rf"(?<![\w-]){re.escape(v)}(?![\w-])" for v in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def find_secret_like(data: Any, known_values: Iterable[str] = ()) -> list[Finding]:
    """Everything in ``data`` that looks like a secret, or is (a copy of) one of ``known_values``."""
    known = known_value_pattern(known_values)
    findings = []
    for where, text in kept_strings(data):
        for what, pattern in SECRET_SHAPES.items():
            if pattern.search(text):
                findings.append(Finding(where, what))
        if any(guid.lower() != ZERO_GUID for guid in GUID.findall(text)):
            findings.append(Finding(where, "an id (GUID): subscription, tenant or request"))
        if is_long_mixed_token(text):
            findings.append(Finding(where, "a long token of letters and digits"))
        if known and known.search(text):
            findings.append(Finding(where, "a value seen in this run's credentials or upstream hosts"))
    return findings


class SecretLeft(ValueError):
    """A recording would have held something secret-shaped; it was not written."""


@dataclass
class Redactor:
    """Replaces hostnames, resource and deployment names, ids and secret shapes in texts that are kept."""

    hosts: set[str] = field(default_factory=set)  # upstream hosts: replaced everywhere, and scanned for
    names: set[str] = field(default_factory=set)  # resource (account) names: replaced in error texts
    deployments: set[str] = field(default_factory=set)  # deployment names: replaced in error texts
    secrets: set[str] = field(default_factory=set)  # credential values: replaced everywhere, and scanned for
    _pattern: tuple[frozenset[str], re.Pattern[str] | None] | None = field(default=None, repr=False)

    def learn_host(self, url: str) -> None:
        host = urlsplit(url).hostname
        if host and host not in LOOPBACK:
            self.hosts.add(host)
            label = host.split(".")[0]
            if len(label) >= 3 and label not in ("api", "www"):
                self.names.add(label)

    def learn_deployment(self, name: Any) -> None:
        if isinstance(name, str) and len(name) >= 3 and name not in KNOWN_MODEL_NAMES:
            self.deployments.add(name)

    def learn_secret(self, value: str | None) -> None:
        if value:
            self.secrets.add(value)

    def learn_query(self, query: Iterable[tuple[str, str]]) -> None:
        """Credentials a client put in the URL (``?api-key=…``) are secrets like those in headers."""
        for name, value in query:
            if name.lower() in SECRET_QUERY_KEYS:
                self.learn_secret(value)

    @property
    def known_values(self) -> set[str]:
        """What the final scan looks for besides secret shapes. Names are left out: a deployment called
        "deepseek" must not make every answer that says DeepSeek unwritable."""
        return self.hosts | self.secrets

    def _secret_pattern(self) -> re.Pattern[str] | None:
        values = frozenset(self.secrets)
        if self._pattern is None or self._pattern[0] != values:
            self._pattern = (values, known_value_pattern(values))
        return self._pattern[1]

    def names_in(self, text: str) -> str:
        """Replace credentials and upstream hosts (used on model text: its words are otherwise kept)."""
        pattern = self._secret_pattern()
        if pattern:
            text = pattern.sub(REDACTED, text)
        for host in sorted(self.hosts, key=len, reverse=True):
            text = re.sub(re.escape(host), "<resource>." + host.split(".", 1)[-1], text, flags=re.IGNORECASE)
        return text

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """Where :meth:`names_in` would replace something in ``text``, as ``(start, end)`` pairs."""
        spans = []
        pattern = self._secret_pattern()
        if pattern:
            spans += [m.span() for m in pattern.finditer(text)]
        for host in self.hosts:
            spans += [m.span() for m in re.finditer(re.escape(host), text, flags=re.IGNORECASE)]
        return sorted(spans)

    def everything_in(self, text: str) -> str:
        """Also names, ids and secret shapes (used on error bodies, headers and verdicts: no lesson text)."""
        text = self.names_in(text)
        for names, placeholder in ((self.deployments, "<deployment>"), (self.names, "<resource>")):
            for name in sorted(names, key=len, reverse=True):
                text = re.sub(rf"(?<![\w<-]){re.escape(name)}(?![\w>-])", placeholder, text, flags=re.IGNORECASE)
        text = AZURE_HOST.sub(lambda m: "<resource>." + m.group(0).split(".", 1)[1], text)
        text = GUID.sub(ZERO_GUID, text)
        text = URL_SECRET.sub(lambda m: m.group(0).split("=", 1)[0] + "=" + REDACTED, text)
        for pattern in SECRET_SHAPES.values():
            text = pattern.sub(REDACTED, text)
        return LONG_TOKEN.sub(lambda m: REDACTED if is_long_mixed_token(m.group(0)) else m.group(0), text)

    def word_in(self, value: Any, allowed: Iterable[str], shape: str = r"[a-z_]{1,40}") -> str | None:
        """A short keyword (a finish reason, an error code): kept if allowed or plainly shaped, else redacted."""
        if not isinstance(value, str):
            return None
        if value in allowed:
            return value
        cleaned = self.everything_in(value)
        return cleaned if cleaned == value and re.fullmatch(shape, value) else REDACTED

    def chunks_in(self, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Chunks redacted as one text: a secret split across chunks is joined into one chunk, then replaced.

        Consecutive chunks of one kind are joined, the spans to replace are found in the joined text, and
        the chunks a span touches become one chunk (with the pause before the first of them).
        """
        result: list[dict[str, Any]] = []
        start = 0
        while start < len(chunks):
            end = start
            while end < len(chunks) and chunks[end]["kind"] == chunks[start]["kind"]:
                end += 1
            result += self._run_in(chunks[start:end])
            start = end
        return result

    def _run_in(self, run: list[dict[str, Any]]) -> list[dict[str, Any]]:
        joined = "".join(c["text"] for c in run)
        spans = self.spans_in(joined)
        if not spans:
            return [dict(c) for c in run]
        groups: list[list[dict[str, Any]]] = []
        offset, reach = 0, -1  # reach: the end of the span the current group must still cover
        for chunk in run:
            begin, finish = offset, offset + len(chunk["text"])
            offset = finish
            if groups and begin < reach:
                groups[-1].append(chunk)
            else:
                groups.append([chunk])
            for span_start, span_end in spans:
                if span_start < finish and span_end > begin:
                    reach = max(reach, span_end)
        merged = [{**group[0], "text": self.names_in("".join(c["text"] for c in group))} for group in groups]
        if "".join(c["text"] for c in merged) != self.names_in(joined):
            return [{**run[0], "text": self.names_in(joined)}]  # overlapping matches: keep the run as one chunk
        return merged
