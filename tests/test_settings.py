import json
import os
from pathlib import Path

import pytest

from helpers.settings import SettingsError, load_settings, normalize_endpoint
from recorded_endpoint.recordings import RECORDINGS_DIR

NO_ENV_FILE = Path("/nonexistent/.env")

# Whatever the developer's shell or `.env` holds, these tests see only what they set (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("hermetic_settings")


def test_nothing_configured_means_recorded_mode():
    settings = load_settings(NO_ENV_FILE)
    assert settings.mode == "recorded"
    assert settings.deployment == "DeepSeek-R1"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://myres.openai.azure.com",
        "https://myres.openai.azure.com/",
        "https://myres.openai.azure.com/openai/v1/",
        " 'https://myres.openai.azure.com/openai/v1' ",
    ],
)
def test_endpoint_shapes_learners_paste_are_normalized(pasted):
    assert normalize_endpoint(pasted) == "https://myres.openai.azure.com"


@pytest.mark.parametrize(
    "bad, hint",
    [
        ("myres.openai.azure.com", "https://<resource>.openai.azure.com"),
        ("https://YOUR-RESOURCE-NAME.openai.azure.com/openai/v1/", "placeholder"),
        ("http://myres.openai.azure.com", "https://"),
        ("", "not an endpoint URL"),
    ],
)
def test_malformed_endpoints_name_the_expected_form(bad, hint):
    with pytest.raises(SettingsError, match=hint.replace("<", ".").replace(">", ".").replace("+", r"\+")):
        normalize_endpoint(bad)


def test_live_mode_with_key_auth_and_no_key_names_the_fix(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("COURSE_AUTH", "key")
    with pytest.raises(SettingsError, match="AZURE_OPENAI_API_KEY is empty"):
        load_settings(NO_ENV_FILE)


def test_live_mode_without_key_defaults_to_entra(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com/openai/v1/")
    settings = load_settings(NO_ENV_FILE)
    assert (settings.mode, settings.auth) == ("live", "entra")
    assert settings.v1_base_url == "https://myres.openai.azure.com/openai/v1/"
    assert settings.inference_endpoint == "https://myres.services.ai.azure.com/models"


def test_repr_never_shows_the_key(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "a-very-secret-value")
    settings = load_settings(NO_ENV_FILE)
    assert "a-very-secret-value" not in repr(settings)
    assert "a-very-secret-value" not in settings.summary()
    assert "api_key='<set>'" in repr(settings)


def test_env_file_is_read_and_process_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "AZURE_OPENAI_ENDPOINT=https://fromfile.openai.azure.com\nAZURE_DEEPSEEK_DEPLOYMENT=from-file\n"
    )
    monkeypatch.setenv("AZURE_DEEPSEEK_DEPLOYMENT", "from-process")
    monkeypatch.setenv("COURSE_AUTH", "entra")
    settings = load_settings(env_file)
    assert settings.endpoint == "https://fromfile.openai.azure.com"
    assert settings.deployment == "from-process"


def test_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "offline")
    with pytest.raises(SettingsError, match="COURSE_MODE"):
        load_settings(NO_ENV_FILE)


def test_live_setup_exports_derived_values_over_blank_ones(monkeypatch):
    import helpers

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-a-real-key")
    monkeypatch.setenv("AZURE_INFERENCE_ENDPOINT", "")  # as a copied .env.sample leaves it
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", "")
    settings = helpers.setup(quiet=True)
    assert settings.mode == "live"
    assert os.environ["AZURE_INFERENCE_ENDPOINT"] == "https://myres.services.ai.azure.com/models"
    assert os.environ["AZURE_INFERENCE_CREDENTIAL"] == "not-a-real-key"


def test_subscription_and_account_name_are_enough_to_go_live(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000")
    monkeypatch.setenv("AZURE_AI_ACCOUNT", "my-foundry")
    settings = load_settings(NO_ENV_FILE)
    assert (settings.mode, settings.auth) == ("live", "entra")
    assert settings.endpoint == "https://my-foundry.services.ai.azure.com"


def test_the_default_env_file_is_read(hermetic_settings):
    hermetic_settings.write_text("AZURE_OPENAI_ENDPOINT=https://fromfile.openai.azure.com\nCOURSE_AUTH=entra\n")
    assert load_settings().endpoint == "https://fromfile.openai.azure.com"


def test_setup_reads_the_env_file_it_is_given(tmp_path, hermetic_settings):
    import helpers

    hermetic_settings.write_text("COURSE_MODE=recorded\n")  # the default file would say recorded
    room = tmp_path / "room.env"
    room.write_text("AZURE_OPENAI_ENDPOINT=https://room.openai.azure.com/\nAZURE_OPENAI_API_KEY=not-a-real-key\n")
    settings = helpers.setup(quiet=True, env_file=room)
    assert (settings.mode, settings.endpoint, settings.auth) == ("live", "https://room.openai.azure.com", "key")
    assert os.environ["AZURE_OPENAI_ENDPOINT"] == "https://room.openai.azure.com/"  # exported as the file says
    assert os.environ["AZURE_INFERENCE_ENDPOINT"] == "https://room.services.ai.azure.com/models"


def test_recorded_setup_starts_the_endpoint_once_and_points_the_environment_at_it(monkeypatch, capsys):
    import openai

    import helpers

    monkeypatch.setattr(helpers, "_server", None)  # this test's own endpoint, stopped at the end
    monkeypatch.setenv("COURSE_SHARED_ENDPOINT", "0")  # not the machine's shared one, which other kernels use
    try:
        settings = helpers.setup()
        server = helpers.recorded_server()
        assert server is not None
        assert "Recorded mode" in capsys.readouterr().out and server.url in settings.endpoint
        assert (settings.mode, settings.endpoint, settings.deployment) == ("recorded", server.url, "DeepSeek-R1")
        assert os.environ["AZURE_OPENAI_ENDPOINT"] == server.url
        assert helpers.setup(quiet=True) == settings and helpers.recorded_server() is server  # started once
        client = openai.OpenAI(base_url=settings.v1_base_url, api_key=settings.api_key, max_retries=0)
        messages = [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Who painted the Mona Lisa?"},
        ]
        answer = client.chat.completions.create(model=settings.deployment, messages=messages)
        recorded = json.loads((RECORDINGS_DIR / "mona-lisa.json").read_text(encoding="utf-8"))["response"]
        assert answer.choices[0].message.content == recorded["answer"]
    finally:
        if helpers.recorded_server() is not None:
            helpers.recorded_server().stop()


def test_live_mode_deploys_r1s_successor_by_default(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    settings = load_settings(NO_ENV_FILE)
    assert (settings.model, settings.model_version, settings.sku) == ("DeepSeek-V4-Pro", "2026-04-23", "GlobalStandard")
    assert settings.deployment == "DeepSeek-R1"  # the deployment name is the learner's choice, kept as it was
    assert "DeepSeek-V4-Pro 2026-04-23" in settings.summary()


def test_recorded_mode_replays_deepseek_r1_whatever_env_names(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "recorded")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL", "DeepSeek-V3.2")
    settings = load_settings(NO_ENV_FILE)
    assert (settings.model, settings.model_version) == ("DeepSeek-R1", "1")


def test_the_model_to_deploy_is_a_setting(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL", "DeepSeek-V4-Flash")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL_VERSION", "2026-04-23")
    monkeypatch.setenv("AZURE_DEEPSEEK_SKU", "DataZoneStandard")
    settings = load_settings(NO_ENV_FILE)
    assert (settings.model, settings.model_version, settings.sku) == (
        "DeepSeek-V4-Flash",
        "2026-04-23",
        "DataZoneStandard",
    )


def test_public_cloud_is_the_default_resource_manager(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    settings = load_settings(NO_ENV_FILE)
    assert settings.resource_manager_endpoint == "https://management.azure.com"
    assert settings.resource_manager_scope == "https://management.azure.com/.default"
    assert settings.authority_host is None


def test_sovereign_clouds_name_their_resource_manager_and_authority(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.us")
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.usgovcloudapi.net/")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us")
    settings = load_settings(NO_ENV_FILE)
    assert settings.resource_manager_endpoint == "https://management.usgovcloudapi.net"
    assert settings.resource_manager_scope == "https://management.usgovcloudapi.net/.default"
    assert settings.authority_host == "https://login.microsoftonline.us"


def test_a_resource_manager_that_is_not_azures_gets_the_public_scope(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://127.0.0.1:8443")
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", "https://127.0.0.1:8443")
    settings = load_settings(NO_ENV_FILE)
    assert settings.resource_manager_endpoint == "https://127.0.0.1:8443"
    assert settings.resource_manager_scope == "https://management.azure.com/.default"


@pytest.mark.parametrize("name", ["AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_AUTHORITY_HOST"])
def test_cloud_addresses_must_be_https(monkeypatch, name):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv(name, "management.usgovcloudapi.net")
    with pytest.raises(SettingsError, match=f"{name}=.*is not an https:// URL"):
        load_settings(NO_ENV_FILE)


def test_recorded_mode_manages_resources_on_the_recorded_endpoint(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "recorded")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://127.0.0.1:9999")
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.usgovcloudapi.net")
    assert load_settings(NO_ENV_FILE).resource_manager_endpoint == "https://127.0.0.1:9999"


def test_repr_shows_the_model_and_cloud_but_no_secret(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "another-secret-value")
    shown = repr(load_settings(NO_ENV_FILE))
    assert "model='DeepSeek-V4-Pro'" in shown and "resource_manager_endpoint='https://management.azure.com'" in shown
    assert "another-secret-value" not in shown


def test_live_setup_warns_about_a_retired_model(monkeypatch, capsys):
    import helpers

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-a-real-key")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL", "DeepSeek-R1")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL_VERSION", "1")
    helpers.setup()
    out = capsys.readouterr().out
    assert "Warning: DeepSeek-R1 version 1 was retired on Azure on 2026-08-13" in out
    assert "Deploy DeepSeek-V4-Pro instead" in out
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL", "DeepSeek-V4-Pro")
    monkeypatch.setenv("AZURE_DEEPSEEK_MODEL_VERSION", "2026-04-23")
    helpers.setup()
    assert "Warning" not in capsys.readouterr().out


def test_the_async_v1_client_with_entra_id_awaits_fresh_tokens(monkeypatch, replay_server):
    """AsyncOpenAI awaits what its api_key callable returns: a sync token provider fails there, live only."""
    import asyncio

    from helpers.clients import async_openai_client
    from recorded_endpoint import environment_for

    for name, value in environment_for(replay_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COURSE_AUTH", "entra")
    settings = load_settings(NO_ENV_FILE)

    async def ask() -> str:
        client = async_openai_client(settings, max_retries=0)
        reply = await client.chat.completions.create(
            model=settings.deployment, messages=[{"role": "user", "content": "Hello!"}]
        )
        return reply.choices[0].message.content

    assert asyncio.run(ask()).startswith("Hello!")
