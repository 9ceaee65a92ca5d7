"""The house stays as the README draws it: an AST walk over every import of every Python file in
the repository, lazy ones included.

Each top-level package is one layer: core ← analysis ← bot ← sim ← cli ← benchmarks ← tests.
An import may only reach its own layer or one below it; inside bot, bot ← bot.handlers ←
bot.app, and only bot.app imports a handler module. Modules never import each other in a
circle, core never touches Telegram, nothing the package ships imports the test kit
(sim.testing), and no file changes sys.path or loads a module from a file path: every module
is found by its name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("core", "analysis", "bot", "sim", "cli", "benchmarks", "tests")
# What the wheel ships (pyproject.toml's packages); sim.testing is not among it.
RUNTIME = ("core", "analysis", "bot", "sim", "cli")
TEST_KIT = "sim.testing"

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[str, ...] = (
    "core",  # config, questionnaire, storage, schedule: the rules, no Telegram
    "analysis",  # load → compute → render, over the core
    "bot",  # the Telegram runtime: screens, outbox, ledger, lifecycle, scheduler
    "bot.handlers",  # what answers updates
    "bot.app",  # the wiring, the one importer of the handlers
    "sim",  # a simulated Telegram and people: the demo's world
    "sim.testing",  # the test and benchmark kit on top of it (not shipped)
    "cli",  # the command line, the demo included
    "benchmarks",
    "tests",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*tops: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            files[module_name(path)] = path
    return files


FILES = source_files(*TOPS)


def imported(path: Path, module: str) -> set[str]:
    """Every module an import statement in the file names, wherever the statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # `from bot import replies` imports the module bot.replies.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in FILES else base)
    if module.startswith("tests."):
        # pytest puts tests/ itself on the path: `from conftest import ...` is tests.conftest.
        found = {f"tests.{name}" if f"tests.{name}" in FILES else name for name in found}
    return found


GRAPH = {name: imported(path, name) for name, path in FILES.items()}


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for rank, prefix in enumerate(LAYERS):
        if within(module, prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), rank)
    return best[1] if best else None


def imports_between(importer: str, target: str) -> set[tuple[str, str]]:
    return {
        (m, t)
        for m, targets in GRAPH.items()
        for t in targets
        if within(m, importer) and within(t, target)
    }


def test_the_walk_sees_the_imports_it_judges() -> None:
    # Guards the test itself: a walk that found nothing would pass every rule below.
    assert {layer(m) for m in GRAPH} == set(range(len(LAYERS)))  # every layer has files
    assert "core.journey" in GRAPH["core.admin"]
    assert "bot.handlers.participant" in GRAPH["bot.app"]
    assert "bot.replies" in GRAPH["bot.handlers.participant"]  # `from bot import replies`
    assert "bot.screens.participant" in GRAPH["bot.replies"]  # `from bot.screens import …`
    assert "bot.app" in GRAPH["cli.run"]  # a lazy import inside a function
    assert "sim.testing.crash_loop" in GRAPH["tests.test_crash_loop"]
    assert "benchmarks.bare_bot" in GRAPH["benchmarks.room"]
    assert "tests.conftest" in GRAPH["tests.test_lifecycle"]  # `from conftest import ...`


def test_no_import_runs_back_up() -> None:
    upward = set()
    for module, targets in GRAPH.items():
        for target in targets:
            here, there = layer(module), layer(target)
            if here is not None and there is not None and there > here:
                upward.add((module, target))
    assert not upward


@pytest.mark.parametrize("outside", ["telegram", "analysis", "bot", "sim", "cli"])
def test_core_imports_neither_telegram_nor_anything_above_it(outside: str) -> None:
    assert not imports_between("core", outside)


def test_only_the_app_imports_a_handler_module() -> None:
    wrong = {
        (m, t)
        for m, ts in GRAPH.items()
        for t in ts
        if within(t, "bot.handlers") and not within(m, "bot.handlers") and m != "bot.app"
    }
    assert not wrong


def test_nothing_the_package_ships_imports_the_test_kit() -> None:
    wrong = {
        (m, t)
        for m, ts in GRAPH.items()
        for t in ts
        if any(within(m, top) for top in RUNTIME) and not within(m, TEST_KIT)
        if within(t, TEST_KIT)
    }
    assert not wrong


def test_no_module_imports_itself_round_a_circle() -> None:
    edges = {m: {t for t in ts if t in GRAPH and t != m} for m, ts in GRAPH.items()}
    done: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(edges[module]):
            found = cycle_from(target, [*path, module])
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(edges):
        assert cycle_from(module, []) is None


# Ways to reach a module other than by its name: a changed search path, or a file's path.
# Any use of sys.path counts (nothing here has a reason to read it either).
PATH_CHANGES = {"sys.path", "site.addsitedir"}
BY_FILE_PATH = {"spec_from_file_location", "run_path", "SourceFileLoader", "SourcelessFileLoader"}


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def finds_modules_by_path(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            name = dotted(node)
            if name in PATH_CHANGES or name.rpartition(".")[2] in BY_FILE_PATH:
                found.append(f"line {node.lineno}: {name}")
        elif isinstance(node, ast.ImportFrom):
            found += [
                f"line {node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name in BY_FILE_PATH or alias.name == "addsitedir"
            ]
    return found


def repository_python_files() -> list[Path]:
    hidden = {".git", ".venv", "build", "dist", "__pycache__"}
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not any(part in hidden or part.startswith(".venv") for part in path.parts)
    ]


def test_the_path_check_sees_both_ways_it_forbids() -> None:
    sample = (
        "import sys\nsys.path.insert(0, 'tests')\n"
        "from importlib.util import spec_from_file_location\n"
        "import runpy\nrunpy.run_path('benchmarks/room.py')\n"
    )
    found = finds_modules_by_path(ast.parse(sample))
    assert [line.split(":")[0] for line in found] == ["line 3", "line 5", "line 2"], found


def test_no_file_changes_sys_path_or_loads_a_module_by_its_file_path() -> None:
    files = repository_python_files()
    assert ROOT / "benchmarks" / "room.py" in files and Path(__file__) in files
    offences = {
        str(path.relative_to(ROOT)): found
        for path in files
        if path != Path(__file__)  # names them, to look for them
        if (found := finds_modules_by_path(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offences == {}
