"""The recorded endpoint: a local HTTP server that answers like DeepSeek-R1 on Azure AI Foundry.

``start()`` runs it in the background (the notebooks' first cell does this for you);
``python -m recorded_endpoint serve`` runs it in the foreground for a workshop room.
"""

from __future__ import annotations

from .constants import DEFAULT_API_KEY, RECORDED_SUBSCRIPTION_ID
from .recordings import Recording, RecordingLibrary
from .server import ReplayServer

__all__ = ["DEFAULT_API_KEY", "Recording", "RecordingLibrary", "ReplayServer", "start", "environment_for"]


def start(timing: str = "none", tls: bool = True, port: int = 0, api_key: str = DEFAULT_API_KEY) -> ReplayServer:
    """Start the recorded endpoint on 127.0.0.1 in a background thread and return it."""
    return ReplayServer(port=port, api_key=api_key, timing=timing, tls=tls).start()


def environment_for(server: ReplayServer, deployment: str = "DeepSeek-R1") -> dict[str, str]:
    """The environment variables that point the course, and the seeds' own code, at ``server``."""
    env = {
        "COURSE_MODE": "recorded",
        "AZURE_OPENAI_ENDPOINT": server.url,
        "AZURE_OPENAI_API_KEY": server.api_key,
        "OPENAI_API_VERSION": "2024-10-21",
        # The serverless form of the model inference API: seeds 000/002 append /info and /chat/completions,
        # seed 003 hands the same value to AsyncAzureOpenAI as its resource endpoint.
        "AZURE_INFERENCE_ENDPOINT": server.url,
        "AZURE_INFERENCE_CREDENTIAL": server.api_key,
        "AZURE_DEEPSEEK_DEPLOYMENT": deployment,
        "DEEPINFRA_TOKEN": server.api_key,
        "DEEPINFRA_BASE_URL": f"{server.url}/v1/openai",
        # Lessons 01, 02 and 11 create resources on the recorded endpoint's Resource Manager.
        "AZURE_SUBSCRIPTION_ID": RECORDED_SUBSCRIPTION_ID,
        "AZURE_RESOURCE_GROUP": "rg-deepseek-course",
        "AZURE_LOCATION": "eastus2",
        "AZURE_AI_ACCOUNT": "deepseek-course",
    }
    if server.certificates:
        env["SSL_CERT_FILE"] = str(server.certificates.ca_bundle)  # read by the openai SDK (httpx)
        env["REQUESTS_CA_BUNDLE"] = str(server.certificates.ca_bundle)  # read by azure-core (requests)
    return env
