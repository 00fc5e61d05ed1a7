"""docker-compose.yml: valid for `docker compose config` where the client has compose; secure either way."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def test_services_and_security_defaults() -> None:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert {"elasticsearch", "kibana", "mailpit", "scheduler"} <= set(services)
    es_env = services["elasticsearch"]["environment"]
    assert "xpack.security.enabled=true" in es_env
    assert any(e.startswith("ELASTIC_PASSWORD=${ELASTIC_PASSWORD:?") for e in es_env), "password must come from .env"
    assert services["elasticsearch"]["image"].split(":")[0].endswith("elasticsearch/elasticsearch")
    assert services["kibana"]["image"].endswith(":${STACK_VERSION:-8.15.3}")
    assert services["scheduler"]["build"] == "."
    assert "changeme" not in COMPOSE.read_text(encoding="utf-8")


def _compose_supported() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_supported(), reason="this docker client has no compose plugin")
def test_docker_compose_config_validates(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(["docker", "compose", "--env-file", str(env), "-f", str(COMPOSE), "config", "--quiet"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
