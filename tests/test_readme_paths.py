"""Every file and folder of the checkout that the READMEs name exists where they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The checkout's own folders and top-level files: a path starting elsewhere is the user's
# (`/etc/feedback-bot/config.toml`, `demo/channel.md`), not ours.
OURS = ("core/", "analysis/", "bot/", "sim/", "cli/", "tests/", "benchmarks/", "deploy/", ".ci/")
TOP_FILES = ("pyproject.toml", "config.example.toml", "LICENSE", "README.md")
CODE = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)\)")


def named_paths(text: str) -> list[str]:
    """The checkout's paths a README names, in code spans or links. In a line (a table row,
    say), a bare `name.py` after `folder/file.py` is a file of that same folder."""
    found: list[str] = []
    for line in text.splitlines():
        folder = ""
        for token in [*CODE.findall(line), *LINK.findall(line)]:
            if token.startswith(OURS) or token in TOP_FILES:
                found.append(token)
                folder = token if token.endswith("/") else token.rpartition("/")[0] + "/"
            elif folder and re.fullmatch(r"[a-z_]+\.py", token):
                found.append(folder + token)
    return found


def test_the_reading_finds_the_paths_of_a_table_row() -> None:
    row = "| `analysis/load.py`, `scope.py`, `bot/` | see [the units](deploy/x.service) `/etc/y` |"
    assert named_paths(row) == ["analysis/load.py", "analysis/scope.py", "bot/", "deploy/x.service"]


@pytest.mark.parametrize("readme", ["README.md", "benchmarks/README.md"])
def test_every_path_a_readme_names_exists(readme: str) -> None:
    text = (ROOT / readme).read_text(encoding="utf-8")
    base = (ROOT / readme).parent
    paths = named_paths(text)
    assert len(paths) >= 3, "the reading found too little to judge"
    missing = sorted({p for p in paths if not (ROOT / p).exists() and not (base / p).exists()})
    assert missing == []


def test_every_module_of_the_house_is_named_in_how_it_is_built() -> None:
    # The table says where everything is: a module it leaves out is a room nobody can find.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it is built", 1)[1]
    named = set(named_paths(section))
    folders = {p for p in named if p.endswith("/")}
    unnamed = [
        str(path.relative_to(ROOT))
        for top in ("core", "bot", "sim", "cli")
        for path in sorted((ROOT / top).rglob("*.py"))
        if path.name != "__init__.py"
        and str(path.relative_to(ROOT)) not in named
        and not any(str(path.relative_to(ROOT)).startswith(f) for f in folders - {"bot/"})
    ]
    assert unnamed == []
