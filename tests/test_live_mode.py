"""Every lesson in **live mode**, against a standalone recorded endpoint posing as a live Azure resource.

Nobody running the tests can reach Azure, so the live code path would otherwise never run: the branch of
``helpers.setup()`` that starts nothing, ``.env``-style settings, HTTPS with a certificate authority the SDKs must
be told about, key authentication and Microsoft Entra ID through the Azure CLI, and the Resource Manager of
lessons 01, 02 and 11 at the address a setting names (what sovereign clouds need too). Here the recorded
endpoint is started by the test, once, as a separate server with its own key and its throwaway CA; each
lesson runs in a fresh kernel (nbclient) with only the variables a learner's ``.env`` would hold. A cell
that fails raises, except cells tagged ``raises-exception`` (lessons that teach an error).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.costs import RETAIL_SNAPSHOT
from recorded_endpoint import ReplayServer
from recorded_endpoint.constants import RECORDED_SUBSCRIPTION_ID

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LIVE_KEY = "live-test-key-not-a-secret"  # a key of our own, as a real resource has, not the public default

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_resource() -> Iterator[ReplayServer]:
    """The recorded endpoint as a learner's Azure resource would be: HTTPS, its own key, nothing shared."""
    with ReplayServer(tls=True, api_key=LIVE_KEY, timing="none") as server:
        yield server


@pytest.fixture(scope="module")
def retail_prices_api() -> Iterator[str]:
    """Azure's Retail Prices API as lesson 09 asks it live, answering from the course's dated snapshot."""
    answer = json.loads(RETAIL_SNAPSHOT.read_text(encoding="utf-8"))["answer"]

    class RetailPrices(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            wanted = parse_qs(urlsplit(self.path).query).get("$filter", [""])[0]
            items = [item for item in answer["Items"] if f"armRegionName eq '{item['armRegionName']}'" in wanted]
            body = json.dumps({**answer, "Items": items, "Count": len(items)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RetailPrices)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/retail/prices"
    server.shutdown()


def live_environment(server: ReplayServer, auth: str) -> dict[str, str]:
    """What a learner's `.env` holds after lessons 01-02, pointed at `server`; nothing says "recorded"."""
    ca = str(server.certificates.ca_bundle)
    env = {
        "AZURE_OPENAI_ENDPOINT": server.url,
        "AZURE_DEEPSEEK_DEPLOYMENT": "DeepSeek-R1",  # the learner's deployment name (the course's default)
        "AZURE_SUBSCRIPTION_ID": RECORDED_SUBSCRIPTION_ID,
        "AZURE_RESOURCE_GROUP": "rg-deepseek-course",
        "AZURE_LOCATION": "eastus2",
        "AZURE_AI_ACCOUNT": "deepseek-course",
        "AZURE_RESOURCE_MANAGER_ENDPOINT": server.url,
        "DEEPINFRA_BASE_URL": f"{server.url}/v1/openai",
        "DEEPINFRA_TOKEN": LIVE_KEY,
        # A corporate proxy's CA is handed to the SDKs the same way: openai (httpx) and azure-core (requests).
        "SSL_CERT_FILE": ca,
        "REQUESTS_CA_BUNDLE": ca,
    }
    if auth == "key":
        env.update(COURSE_AUTH="key", AZURE_OPENAI_API_KEY=LIVE_KEY)
    else:
        # The stand-in `az` signs its tokens with the resource's key, which it reads from AZURE_OPENAI_API_KEY;
        # COURSE_AUTH=entra makes the course use Entra ID all the same.
        env.update(COURSE_AUTH="entra", AZURE_TOKEN_CREDENTIALS="AzureCliCredential", AZURE_OPENAI_API_KEY=LIVE_KEY)
    return env


def run_live(notebook: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Execute `notebook` (in memory: the file is not changed) in a kernel that sees only `env`."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "COURSE_", "OPENAI_", "DEEPINFRA_", "REPLAY_")) or name in (
            "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
        ):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [cell for cell in code if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
    unexpected = [cell for cell in errors if "raises-exception" not in cell.metadata.get("tags", [])]
    first = "".join(out.get("text", "") for out in code[0].get("outputs", []))
    return {"cells": len(code), "raised": len(errors), "unexpected": unexpected, "first_output": first}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_lesson_runs_live_with_a_key(notebook, live_resource, monkeypatch, az_on_path, retail_prices_api):
    monkeypatch.setenv("PATH", az_on_path)  # lessons 01, 02 and 11 sign in to Resource Manager with Entra ID
    env = {**live_environment(live_resource, "key"), "AZURE_RETAIL_PRICES_URL": retail_prices_api}
    result = run_live(notebook, env, monkeypatch)
    first = result["first_output"]
    assert first.startswith("Live mode") and f"127.0.0.1:{live_resource.port}" in first, first
    assert "Warning" not in result["first_output"]  # the live default, DeepSeek-V4-Pro, is not retired
    print(f"\nlive/key {notebook.stem}: {result['cells']} code cells run, {result['raised']} raised (tagged)")
    assert not result["unexpected"], [cell.source for cell in result["unexpected"]]


@pytest.fixture(scope="module")
def az_on_path(live_resource, tmp_path_factory) -> str:
    """PATH with an offline `az` that signs tokens for the live resource, the way `az login` would provide them."""
    standin = pytest.importorskip("recorded_endpoint.cli_standin")
    bin_dir = standin.write_tools(tmp_path_factory.mktemp("az-bin"))
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


ENTRA_LESSONS = [path for path in NOTEBOOKS if path.stem[:2] in {"00", "03", "04", "06", "07", "10"}]


@pytest.mark.parametrize("notebook", ENTRA_LESSONS, ids=[path.stem for path in ENTRA_LESSONS])
def test_lessons_run_live_with_entra_id_through_the_azure_cli(
    notebook, live_resource, monkeypatch, az_on_path, retail_prices_api
):
    env = {**live_environment(live_resource, "entra"), "AZURE_RETAIL_PRICES_URL": retail_prices_api}
    monkeypatch.setenv("PATH", az_on_path)
    result = run_live(notebook, env, monkeypatch)
    assert "auth entra" in result["first_output"], result["first_output"]
    print(f"\nlive/entra {notebook.stem}: {result['cells']} code cells run, {result['raised']} raised (tagged)")
    assert not result["unexpected"], [cell.source for cell in result["unexpected"]]


def test_the_stand_in_is_found_before_any_real_az(az_on_path):
    assert Path(shutil.which("az", path=az_on_path)).parent == Path(az_on_path.split(os.pathsep)[0])
