import os
from pathlib import Path

import pytest

from helpers.settings import SettingsError, load_settings, normalize_endpoint

NO_ENV_FILE = Path("/nonexistent/.env")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "COURSE_MODE",
        "COURSE_AUTH",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_INFERENCE_ENDPOINT",
        "AZURE_INFERENCE_CREDENTIAL",
        "AZURE_DEEPSEEK_DEPLOYMENT",
        "OPENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)


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
