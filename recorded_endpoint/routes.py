"""The route families the recorded endpoint answers, and the one table of their chat paths.

A *family* is a way of calling the model that has its own wire shape: where the reasoning goes, which error
bodies come back, which credentials count. The server, the recorder, the error bodies and the tests all name
families through :class:`Family`, and paths through :data:`CHAT_PATHS`, so a new route is added in one place.
"""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    """One way of calling the model; the value is what recordings store in ``request.routes``."""

    V1 = "v1"  # OpenAI(base_url=…/openai/v1/)
    CLASSIC = "classic"  # AzureOpenAI(azure_endpoint=…, api_version=…)
    INFERENCE = "inference"  # ChatCompletionsClient on …/models (retired 2026-08-26)
    SERVERLESS = "serverless"  # ChatCompletionsClient on a serverless endpoint, no /models prefix
    PROVIDER = "provider"  # an OpenAI-compatible provider outside Azure
    RESPONSES = "responses"  # client.responses on …/openai/v1/ or a project endpoint (recorded_endpoint.responses)

    @property
    def is_azure_openai(self) -> bool:
        """Azure OpenAI-shaped answers: ``reasoning_content``, content-filter annotations, AOAI error bodies."""
        return self in OPENAI_FAMILIES

    @property
    def is_model_inference(self) -> bool:
        """Model-inference-shaped answers: the reasoning inside ``content`` as ``<think>…</think>``."""
        return self in INFERENCE_FAMILIES


OPENAI_FAMILIES = frozenset({Family.V1, Family.CLASSIC})
INFERENCE_FAMILIES = frozenset({Family.INFERENCE, Family.SERVERLESS, Family.PROVIDER})

CHAT_PATHS: dict[Family, str] = {
    Family.V1: "/openai/v1/chat/completions",
    Family.CLASSIC: "/openai/deployments/{deployment}/chat/completions",
    Family.INFERENCE: "/models/chat/completions",
    Family.SERVERLESS: "/chat/completions",
    Family.PROVIDER: "/v1/openai/chat/completions",
}

# The Responses API, on the resource's v1 API and on a Foundry project endpoint; the model list of the v1 API.
RESPONSES_PATHS = ("/openai/v1/responses", "/api/projects/{project}/openai/v1/responses")
MODELS_PATHS = ("/openai/v1/models", "/api/projects/{project}/openai/v1/models")
CLASSIC_MODELS_PATH = "/openai/models"  # the authoring API's model list, with an api-version (AzureOpenAI)
