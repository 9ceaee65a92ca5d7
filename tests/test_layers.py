"""The layers stay as the README draws them: an AST walk over every import, lazy ones included.

core ← analysis ← bot ← bot.handlers ← bot.app ← bot.sim ← the entry points; an import may
only reach its own layer or one below it, modules never import each other in a circle, core
never touches Telegram, and only bot.app imports a handler module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "analysis", "bot")

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),  # config, questionnaire, storage, the journey's and the admins' rules
    ("analysis",),  # load → compute → render, over the core
    ("bot",),  # the Telegram side: screens, outbox, lifecycle, scheduler
    ("bot.handlers",),  # what answers updates
    ("bot.app",),  # the wiring, the one importer of the handlers
    ("bot.sim",),  # the simulation kit: drives the real app for the demo, tests and benchmarks
    ("bot.cli", "bot.demo", "bot.__main__"),  # ways to start it
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


def imported(path: Path, module: str, known: set[str]) -> set[str]:
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
                # `from bot import screens` imports the module bot.screens.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def graph(*tops: str) -> dict[str, set[str]]:
    files = source_files(*tops)
    known = set(files) | set(source_files(*PACKAGES))
    return {name: imported(path, name, known) for name, path in files.items()}


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if within(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank)
    return best[1] if best else None


PACKAGE_GRAPH = graph(*PACKAGES)


def test_the_walk_sees_the_imports_it_judges() -> None:
    # Guards the test itself: a walk that found nothing would pass every rule below.
    assert "core.journey" in PACKAGE_GRAPH["core.admin"]
    assert "bot.handlers.participant" in PACKAGE_GRAPH["bot.app"]
    assert "analysis.cli" in PACKAGE_GRAPH["bot.cli"]  # a lazy import inside a function
    assert "bot.screens" in PACKAGE_GRAPH["bot.replies"]  # `from bot import screens`


def imports_between(importer: str, imported: str) -> set[tuple[str, str]]:
    return {
        (m, t)
        for m, targets in PACKAGE_GRAPH.items()
        for t in targets
        if within(m, importer) and within(t, imported)
    }


def test_analysis_never_imports_bot() -> None:
    assert not imports_between("analysis", "bot")


@pytest.mark.parametrize("outside", ["telegram", "bot", "analysis"])
def test_core_imports_neither_telegram_nor_bot_nor_analysis(outside: str) -> None:
    assert not imports_between("core", outside)


def test_only_the_app_imports_a_handler_module() -> None:
    everything = graph(*PACKAGES, "tests", "benchmarks")
    wrong = {
        (m, t)
        for m, ts in everything.items()
        for t in ts
        if within(t, "bot.handlers") and m != "bot.app"
    }
    assert not wrong


def test_no_import_runs_back_up() -> None:
    upward = set()
    for module, targets in PACKAGE_GRAPH.items():
        for target in targets:
            here, there = layer(module), layer(target)
            if here is not None and there is not None and there > here:
                upward.add((module, target))
    assert not upward


def test_no_module_imports_itself_round_a_circle() -> None:
    edges = {m: {t for t in ts if t in PACKAGE_GRAPH and t != m} for m, ts in PACKAGE_GRAPH.items()}
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
