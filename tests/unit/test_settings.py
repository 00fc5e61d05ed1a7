"""Settings layering and the errors a user sees for bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediawatch.errors import ConfigError
from mediawatch.settings import load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_store_defaults_to_embedded(tmp_path: Path) -> None:
    settings = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.store_url == f"sqlite:///{tmp_path / 'mediawatch.db'}"
    assert settings.crawl.download_delay_s > 0


def test_user_file_overrides_only_its_keys(tmp_path: Path) -> None:
    user = write(tmp_path / "u.toml", "[crawl]\nconcurrent_requests = 4\n")
    settings = load_settings(user, environ={"MEDIAWATCH_DATA_DIR": str(tmp_path)})
    assert settings.crawl.concurrent_requests == 4
    assert settings.crawl.concurrent_requests_per_domain == 2


def test_environment_beats_file_and_overrides_beat_environment(tmp_path: Path) -> None:
    user = write(tmp_path / "u.toml", "[smtp]\nport = 2525\n")
    env = {"MEDIAWATCH_DATA_DIR": str(tmp_path), "MEDIAWATCH_SMTP_PORT": "1025",
           "MEDIAWATCH_SMTP_SECURITY": "starttls", "MEDIAWATCH_ALERT_TO": "a@x.org, b@x.org"}
    settings = load_settings(user, environ=env)
    assert settings.smtp.port == 1025 and settings.smtp.security == "starttls"
    assert settings.alerts.recipients == ["a@x.org", "b@x.org"]
    assert load_settings(user, environ=env, overrides={"smtp": {"port": 26}}).smtp.port == 26


def test_secret_from_environment_is_hidden_in_repr(tmp_path: Path) -> None:
    env = {"MEDIAWATCH_DATA_DIR": str(tmp_path), "MEDIAWATCH_SMTP_PASSWORD": "hunter2"}
    settings = load_settings(environ=env)
    assert settings.smtp.password is not None
    assert settings.smtp.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[store]\nurll = 'x'\n", "store.urll", "unknown key"),
        ("[smtp]\nport = 'many'\n", "smtp.port", "integer"),
        ("[smtp]\nsecurity = 'tls'\n", "smtp.security", "none"),
        ("[crawl]\ndownload_delay_s = -1\n", "crawl.download_delay_s", "greater than or equal"),
        ("[smtp]\npassword = 'x'\n", "smtp.password", "environment"),
    ],
)
def test_bad_user_file_names_file_key_and_problem(tmp_path: Path, text: str, key: str, words: str) -> None:
    user = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(user, environ={"MEDIAWATCH_DATA_DIR": str(tmp_path)})
    message = str(info.value)
    assert str(user) in message and key in message and words in message


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path), "MEDIAWATCH_SMTP_PORT": "x"})
    assert "MEDIAWATCH_SMTP_PORT" in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path / "x.toml", "[store\n"), environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", environ={})
