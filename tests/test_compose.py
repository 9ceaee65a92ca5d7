"""compose.yaml, checked without a container engine (none runs here): it parses as YAML,
keeps to the Compose specification's structure (the keys it allows, depends_on conditions,
healthchecks, restart policies, declared volumes and secrets, `$$` for a literal dollar),
and says what the README says: the migration runs as the owner role before the bots, two
bots share the database, and no password is written in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT

COMPOSE = ROOT / "compose.yaml"
NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
TOP_LEVEL = {"version", "name", "include", "services", "networks", "volumes", "secrets", "configs"}
# The service properties of the Compose specification (compose-spec/schema/compose-spec.json).
SERVICE_KEYS = {
    "annotations", "attach", "build", "blkio_config", "cap_add", "cap_drop", "cgroup",
    "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
    "cpu_shares", "cpu_quota", "cpu_period", "cpu_rt_period", "cpu_rt_runtime", "cpus",
    "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules",
    "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
    "label_file", "environment", "expose", "extends", "external_links", "extra_hosts",
    "gpus", "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation",
    "labels", "links", "logging", "mac_address", "mem_limit", "mem_reservation",
    "mem_swappiness", "memswap_limit", "network_mode", "networks", "oom_kill_disable",
    "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop",
    "privileged", "profiles", "provider", "pull_policy", "pull_refresh_after", "read_only",
    "restart", "runtime", "scale", "security_opt", "shm_size", "secrets", "sysctls",
    "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "tmpfs", "tty",
    "ulimits", "use_api_socket", "user", "uts", "userns_mode", "volumes", "volumes_from",
    "working_dir",
}  # fmt: skip
HEALTHCHECK_KEYS = {"disable", "interval", "retries", "test", "timeout", "start_period",
                    "start_interval"}  # fmt: skip
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_compose_yaml_keeps_to_the_specifications_structure() -> None:
    spec = compose()
    assert set(spec) - TOP_LEVEL <= {k for k in spec if k.startswith("x-")}
    services: dict[str, dict[str, Any]] = spec["services"]
    volumes, secrets = spec.get("volumes", {}), spec.get("secrets", {})
    for name, service in services.items():
        assert NAME.match(name)
        unknown = {k for k in service if not k.startswith("x-")} - SERVICE_KEYS
        assert not unknown, f"{name}: {unknown}"
        assert "image" in service or "build" in service, name
        for other, wait in service.get("depends_on", {}).items():
            assert other in services and wait["condition"] in CONDITIONS, (name, other)
        if "restart" in service:
            assert RESTART.match(str(service["restart"])), name
        if "healthcheck" in service:
            check = service["healthcheck"]
            assert set(check) <= HEALTHCHECK_KEYS
            assert check["test"][0] in ("CMD", "CMD-SHELL", "NONE")
        for secret in service.get("secrets", []):
            assert secret in secrets, (name, secret)
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith((".", "/")):
                made_by_the_user = source in ("./config.toml",)
                assert made_by_the_user or (ROOT / source).exists(), (name, source)
            else:
                assert source in volumes, (name, source)
        assert all(isinstance(part, str) for part in service.get("command", []))
    for name, secret in secrets.items():
        assert NAME.match(name) and len({"file", "environment", "external"} & set(secret)) == 1
    # Compose replaces $NAME and ${NAME}; a dollar meant for the shell is written $$.
    for text in strings(spec):
        assert not re.search(r"(?<!\$)\$(?!\$)", text.replace("$$", "")), text


def test_compose_runs_the_migration_as_owner_then_two_bots_as_the_bots_role() -> None:
    services = compose()["services"]
    migrate, bots = services["migrate"], [services["bot"], services["standby"]]
    assert "migrate-schema" in migrate["command"][-1]
    assert migrate["environment"]["PGUSER"] == "feedback_owner"
    for bot in bots:
        assert bot["command"][-1].endswith(
            "feedback-bot run --config /etc/feedback-bot/config.toml"
        )
        assert bot["environment"]["PGUSER"] == "feedback_bot"
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert bot["depends_on"]["db"]["condition"] == "service_healthy"
        assert bot["restart"] == "on-failure"  # 7: lost the lock, back to stand by
    init = (ROOT / "deploy" / "postgresql-init.sh").read_text()
    assert "owner=feedback_owner" in init and "bot=feedback_bot" in init
    # No password is written down: only files the containers read at start.
    db = services["db"]
    assert "POSTGRES_PASSWORD" not in db["environment"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")
    text = COMPOSE.read_text()
    assert 'PGPASSWORD="$$(cat /run/secrets/' in text
    assert not re.search(r"postgresql://[^\s/@]*:[^\s/@]+@", text)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER bot" in dockerfile and '"feedback-bot", "run"' in dockerfile


def test_the_readme_says_compose_was_checked_not_run() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Containers", 1)[1].split("\n## ", 1)[0]
    assert "compose.yaml" in section and "tests/test_compose.py" in section
    assert "not been run" in section
    assert Path(ROOT / "Dockerfile").exists()
