"""Settings: packaged defaults < user file < environment < CLI flags, validated once, frozen.

Defaults live in config/mediawatch.toml (every key commented there). `load_settings` returns a
frozen `Settings`; errors are `ConfigError`s naming the file, the key and the fix. YAML
registries (sources.yaml, targets.yaml) are validated through `load_yaml_model`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from mediawatch.errors import ConfigError

__all__ = [
    "Settings",
    "StoreSettings",
    "ElasticsearchSettings",
    "CrawlSettings",
    "ClassifierSettings",
    "AlertSettings",
    "SmtpSettings",
    "SchedulerSettings",
    "load_settings",
    "load_yaml_model",
    "format_validation_error",
    "PROJECT_ROOT",
    "CONFIG_DIR",
    "DEFAULTS_FILE",
    "default_data_dir",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULTS_FILE = CONFIG_DIR / "mediawatch.toml"

M = TypeVar("M", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    url: str = ""


class ElasticsearchSettings(_Section):
    index_prefix: str = Field("mediawatch", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    verify_certs: bool = True
    ca_file: str = ""
    request_timeout_s: float = Field(30, gt=0)
    bulk_chunk_size: int = Field(1000, ge=1)
    bulk_max_retries: int = Field(5, ge=0)
    api_key: SecretStr | None = None
    username: str = ""
    password: SecretStr | None = None


class CrawlSettings(_Section):
    user_agent: str = "mediawatch/0.1"
    since: str = Field("2d", pattern=r"^\d+[mhdw]$")
    download_delay_s: float = Field(1.0, ge=0)
    concurrent_requests: int = Field(16, ge=1)
    concurrent_requests_per_domain: int = Field(2, ge=1)
    autothrottle: bool = True
    autothrottle_start_delay_s: float = Field(1.0, ge=0)
    timeout_s: float = Field(30, gt=0)
    retry_times: int = Field(3, ge=0)
    max_response_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    obey_robots: bool = True
    extract_workers: int = Field(2, ge=0)
    extract_fast: bool = True
    retry_backoff_s: float = Field(2.0, ge=0)
    max_redirects: int = Field(5, ge=0)
    store_batch_size: int = Field(50, ge=1)
    progress_interval_s: float = Field(10, gt=0)


class ClassifierSettings(_Section):
    model: str = ""
    batch_size: int = Field(64, ge=1)
    threads: int = Field(2, ge=1)
    max_length: int = Field(256, ge=16, le=2048)


class AlertSettings(_Section):
    interval: Literal["hour", "day"] = "day"
    baseline_weeks: int = Field(4, ge=1)
    min_hostile: int = Field(5, ge=1)
    threshold: float = Field(3.5, gt=0)
    cooldown_h: float = Field(24, ge=0)
    check_every_min: float = Field(30, gt=0)
    silent_intervals: int = Field(4, ge=1)
    sender: str = "mediawatch@localhost"
    recipients: list[str] = Field(default_factory=list)
    recipients_by_target: dict[str, list[str]] = Field(default_factory=dict)
    kibana_url: str = "http://localhost:5601"

    @field_validator("recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    user: str = ""
    password: SecretStr | None = None
    verify_certs: bool = True
    timeout_s: float = Field(30, gt=0)
    max_retries: int = Field(5, ge=0)


class SchedulerSettings(_Section):
    misfire_grace_s: int = Field(600, ge=1)
    digest_hour_utc: int = Field(7, ge=0, le=23)
    crawl_workers: int = Field(2, ge=1)
    crawl_timeout_s: float = Field(3600, gt=0)


class Settings(_Section):
    """All of mediawatch's settings, validated and frozen; pass it explicitly."""

    data_dir: Path
    store: StoreSettings = StoreSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    crawl: CrawlSettings = CrawlSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    alerts: AlertSettings = AlertSettings()
    smtp: SmtpSettings = SmtpSettings()
    scheduler: SchedulerSettings = SchedulerSettings()

    @property
    def store_url(self) -> str:
        """The store URL, defaulting to the embedded SQLite file in the data dir."""
        return self.store.url or f"sqlite:///{self.data_dir / 'mediawatch.db'}"

    @property
    def model_dir(self) -> Path:
        """The classifier directory: configured, else the data dir's, else the packaged default."""
        if self.classifier.model:
            return Path(self.classifier.model).expanduser()
        trained = self.data_dir / "models" / "default"
        return trained if trained.exists() else PROJECT_ROOT / "models" / "default"


# Keys that may only come from the environment, never from a file.
_SECRET_KEYS = {("elasticsearch", "api_key"), ("elasticsearch", "password"), ("smtp", "password")}
# Environment names that do not follow MEDIAWATCH_<SECTION>_<KEY>.
_ENV_ALIASES = {
    "MEDIAWATCH_DATA_DIR": ("data_dir",),
    "MEDIAWATCH_ALERT_FROM": ("alerts", "sender"),
    "MEDIAWATCH_ALERT_TO": ("alerts", "recipients"),
    "MEDIAWATCH_ES_API_KEY": ("elasticsearch", "api_key"),
    "MEDIAWATCH_ES_USERNAME": ("elasticsearch", "username"),
    "MEDIAWATCH_ES_PASSWORD": ("elasticsearch", "password"),
    "MEDIAWATCH_ES_CA_FILE": ("elasticsearch", "ca_file"),
}
# Environment variables that are read elsewhere and must not be taken as settings.
_ENV_IGNORED = {"MEDIAWATCH_CONFIG", "MEDIAWATCH_ES_URL"}


def default_data_dir() -> Path:
    """Return the per-user data folder: $XDG_DATA_HOME/mediawatch or ~/.local/share/mediawatch."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mediawatch"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path),
                          fix="pass an existing file with --config or MEDIAWATCH_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_overrides(environ: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Map MEDIAWATCH_* variables to nested keys; also return which variable set which key."""
    sections = set(Settings.model_fields) - {"data_dir"}
    tree: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith("MEDIAWATCH_") or name in _ENV_IGNORED:
            continue
        path = _ENV_ALIASES.get(name)
        if path is None:
            rest = name[len("MEDIAWATCH_"):].lower()
            section = next((s for s in sorted(sections, key=len, reverse=True)
                            if rest.startswith(s + "_")), None)
            if section is None:
                continue  # not ours (e.g. MEDIAWATCH_TEST_*); ignored on purpose
            path = (section, rest[len(section) + 1:])
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        origin[".".join(path)] = name
    return tree, origin


def format_validation_error(exc: ValidationError, file: str) -> ConfigError:
    """Turn the first pydantic error into a ConfigError naming the file, the key and the problem."""
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    problem = first["msg"]
    if first["type"] == "extra_forbidden":
        problem, fix = "unknown key", "remove it or check its spelling against the documented keys"
    else:
        fix = f"got {first.get('input')!r}" if "input" in first else None
    return ConfigError(problem, file=file, key=key, fix=fix)


def load_settings(config_file: str | Path | None = None,
                  environ: dict[str, str] | None = None,
                  overrides: dict[str, Any] | None = None) -> Settings:
    """Load and validate settings from defaults, a user file, the environment and CLI overrides.

    Raises ConfigError naming the file (or environment variable) and key on any problem.
    """
    environ = dict(os.environ if environ is None else environ)
    data = _read_toml(DEFAULTS_FILE)
    user_file = config_file or environ.get("MEDIAWATCH_CONFIG")
    source_of_keys = str(DEFAULTS_FILE)
    if user_file:
        user = _read_toml(Path(user_file))
        for section, key in _SECRET_KEYS:
            if key in user.get(section, {}):
                raise ConfigError("secrets are read only from the environment", file=str(user_file),
                                  key=f"{section}.{key}",
                                  fix=f"remove it and set MEDIAWATCH_{section.upper()}_{key.upper()}")
        try:
            Settings.model_validate(_merge({"data_dir": "."}, user))
        except ValidationError as exc:
            raise format_validation_error(exc, str(user_file)) from None
        data = _merge(data, user)
        source_of_keys = str(user_file)
    env_tree, env_origin = _env_overrides(environ)
    data = _merge(data, env_tree)
    data = _merge(data, overrides or {})
    if not data.get("data_dir"):
        data["data_dir"] = str(default_data_dir())
    data["data_dir"] = str(Path(str(data["data_dir"])).expanduser())
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
        file = env_origin.get(loc, "environment" if loc in env_origin else source_of_keys)
        raise format_validation_error(exc, file) from None


def load_yaml_model(path: str | Path, model: type[M]) -> M:
    """Read a YAML file and validate it into `model`; errors become ConfigError with the key path."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}".replace("\n", " "), file=str(path)) from None
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise format_validation_error(exc, str(path)) from None
