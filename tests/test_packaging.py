"""What an installed package needs: its data inside it, every import declared, no test-only
imports at run time, a version and help for every command; and what the wheel holds (the
runtime and the demo's simulated Telegram, never the test kit, the tests or the benchmarks).
`.ci/wheel-smoke` checks the same from a built wheel in a new venv."""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest

from bot.exits import COMMANDS, ExitStatus
from cli.main import build_parser, main
from core.config import load_config
from core.packaged import builtin_questionnaires, example_config
from core.problems import ConfigError

ROOT = Path(__file__).resolve().parent.parent
# What the wheel holds: every package but the test kit, which stays in the checkout.
PACKAGES = ("core", "analysis", "bot", "sim", "cli")
TEST_KIT = "sim.testing"

COHORT = """
[[cohorts]]
code = "RS-1"
module = "rs"
site = "Leeds"
start = 2026-03-14T09:30:00Z
end = 2026-03-14T16:30:00Z
"""


def test_top_level_example_config_is_the_packaged_one() -> None:
    # The design card wants config.example.toml at the top; the wheel carries core/data's,
    # a symlink to it (the wheel build copies the content), so the two cannot drift apart.
    top = (ROOT / "config.example.toml").read_bytes()
    assert top == (ROOT / "core" / "data" / "config.example.toml").read_bytes(), (
        "config.example.toml and core/data/config.example.toml differ: make the packaged one "
        "a symlink again (ln -sf ../../config.example.toml core/data/config.example.toml)"
    )
    assert example_config().encode() == top


def test_example_config_command_prints_a_config_that_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # nowhere near the checkout
    assert main(["example-config"]) == 0
    (tmp_path / "config.toml").write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["check", "--config", "config.toml"]) == 0
    out = capsys.readouterr().out
    assert "2 module(s), 33 question(s), 3 cohort(s)" in out
    assert f"database {tmp_path / 'feedback.db'}" in out


def test_builtin_questionnaires_load_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert builtin_questionnaires() == ["getting-help", "risk-support"]
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[modules]]\nid = "rs"\nquestionnaire = "builtin:risk-support"\n{COHORT}',
        encoding="utf-8",
    )
    module = load_config(path).modules["rs"]
    assert module.title == "Risk Support"
    assert module.source.name == "risk-support.toml" and module.source.is_file()


def test_unknown_builtin_questionnaire_names_the_ones_there_are(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[modules]]\nid = "rs"\nquestionnaire = "builtin:risk-suport"\n{COHORT}',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    messages = [str(p) for p in caught.value.problems]
    # Reported once, at its cause: the cohort of that module gets no follow-on error.
    assert messages == [
        f"{path}: modules[0] (rs).questionnaire: no built-in questionnaire 'risk-suport' "
        "(built in: builtin:getting-help, builtin:risk-support)"
    ]


def test_relative_questionnaire_paths_follow_the_config_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site"
    (folder / "q").mkdir(parents=True)
    shipped = ROOT / "core" / "data" / "questionnaires" / "getting-help.toml"
    (folder / "q" / "mine.toml").write_text(shipped.read_text(encoding="utf-8"), "utf-8")
    (folder / "config.toml").write_text(
        f'[[modules]]\nid = "rs"\nquestionnaire = "q/mine.toml"\n{COHORT}', encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../site/config.toml"))
    assert config.modules["rs"].source == (folder / "q" / "mine.toml").resolve()


def test_every_subcommand_and_option_has_a_one_line_help() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    expected = {"run", "check", "demo", "report", "export", "import", "example-config", "cohort"}
    assert expected <= set(commands.choices)
    missing: list[str] = []

    def walk(name: str, sub: argparse.ArgumentParser) -> None:
        for action in sub._actions:
            text = action.help or ""
            if not text.strip() or "\n" in text:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                for child, parser in action.choices.items():
                    if not helps.get(child, "").strip():
                        missing.append(f"{name} {child}")
                    walk(f"{name} {child}", parser)

    walk("feedback-bot", parser)
    assert missing == []


def test_every_command_help_says_what_it_does_and_how_it_can_end() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    seen: list[str] = []

    def check(name: str, sub: argparse.ArgumentParser) -> None:
        seen.append(name)
        text = sub.format_help()
        assert sub.description and len(sub.description) > 40, name
        statuses = re.findall(r"^ +(\d+)  ", text.split("exit statuses:")[1], re.MULTILINE)
        key = name if name in COMMANDS else name.split()[0]
        assert [int(s) for s in statuses] == sorted(int(s) for s in COMMANDS[key]), name
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child, subparser in action.choices.items():
                    check(f"{name} {child}", subparser)

    for name, sub in commands.choices.items():
        check(name, sub)
    assert "cohort card" in seen and len(seen) == len(commands.choices) + 6


def test_the_readme_documents_every_exit_status() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    documented = {int(n) for n in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {int(s) for s in ExitStatus}


def test_version_comes_from_the_installed_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"feedback-bot {version('module-feedback-bot')}"


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            if file.is_relative_to(ROOT / TEST_KIT.replace(".", "/")):
                continue
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in PACKAGES}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_runtime_import_is_a_declared_dependency_with_a_lower_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared: dict[str, str] = {}
    for spec in project["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", spec)
        assert match, spec
        declared[_normalise(match[1])] = match[3]
    distributions = packages_distributions()
    imports = _third_party_imports()
    assert {"telegram", "numpy", "pandas", "scipy", "httpx"} <= imports
    undeclared = []
    for name in sorted(imports):
        owners = {_normalise(d) for d in distributions.get(name, [name])}
        if not owners & declared.keys():
            undeclared.append(f"{name} (from {sorted(owners)})")
    assert undeclared == []
    assert all(">=" in bounds for bounds in declared.values()), declared


def test_the_runtime_package_never_imports_aiohttp() -> None:
    # aiohttp is a test-only dependency: import every module with it made unimportable.
    script = f"""
import importlib, pkgutil, sys
sys.modules["aiohttp"] = None
for package in {PACKAGES!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if info.name.startswith("{TEST_KIT}") or info.name.endswith(".__main__"):
            continue
        importlib.import_module(info.name)
print("imported")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "imported"


def _checkout_copy(destination: Path) -> Path:
    """The checkout without what a build could pick up by accident (as .ci/wheel-smoke)."""
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv*",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".*_cache",
        ".hypothesis",
        "demo-output*",
    )
    return Path(shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True))


@pytest.mark.e2e
def test_the_wheel_holds_the_runtime_and_the_demo_world_but_no_test_kit(tmp_path: Path) -> None:
    source = _checkout_copy(tmp_path / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", "dist", str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = (tmp_path / "dist").glob("module_feedback_bot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.endswith(".dist-info/RECORD")}
    assert tops == {*PACKAGES, f"module_feedback_bot-{version('module-feedback-bot')}.dist-info"}
    # The demo runs on the simulated Telegram, so that much of the kit ships; nothing else.
    assert {"sim/telegram/api.py", "sim/harness.py", "sim/participant.py", "sim/config.py"} <= set(
        names
    )
    assert [n for n in names if n.startswith("sim/testing/")] == []
    assert [n for n in names if n.startswith(("tests/", "benchmarks/"))] == []
    # Everything the checkout ships is in it: the package data and every runtime module.
    shipped = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not path.is_relative_to(ROOT / TEST_KIT.replace(".", "/"))
    }
    assert shipped <= set(names), sorted(shipped - set(names))
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "feedback-bot = cli.main:main" in scripts
