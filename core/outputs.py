"""Where commands write their files: never over a file they did not make, unless told to.

Every command that writes files (report, export, backup, cohort card, demo) checks its
paths here first. A file that is already there is left alone unless the user names the
overwrite with `--force`; a path that cannot be written (its folder is a file, permission
is denied) is one line naming that path. The command line turns `OutputRefused` into exit
status 2 (README, "Exit statuses").
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any


class OutputRefused(Exception):
    """An output path must not or cannot be written; `str()` is the one line to show."""


def why_not(path: Path, exc: OSError) -> str:
    """An operator's reason why `path` cannot be created or written."""
    if isinstance(exc, NotADirectoryError | FileExistsError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None and blocker != path:
            return f"{blocker} is a file, not a folder"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written into `folder` (made if missing), or None."""
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file, not a folder"
    existing = next(p for p in (folder, *folder.parents, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"permission denied on {existing}"
    return None


def check_folder(folder: Path, what: str = "--out") -> None:
    """`folder` is a folder, or can be made. Nothing is created yet."""
    problem = folder_problem(folder)
    if problem is not None:
        raise OutputRefused(f"cannot write into {what} {folder}: {problem}")


def ensure_folder(folder: Path, what: str = "--out") -> Path:
    """Make `folder` (and its parents) if missing; OutputRefused names it if that fails."""
    check_folder(folder, what)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(
            f"cannot create the folder {folder} ({what}): {why_not(folder, exc)}"
        ) from None
    return folder


def check_new_file(path: Path, force: bool, what: str = "--out") -> None:
    """`path` may be written: it is not a folder, its folder can be made, and it is new
    unless `force` says overwrite it. Nothing is created yet."""
    if path.is_dir():
        raise OutputRefused(f"{what} {path} is a folder; expected a file name")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputRefused(
            f"{what} {path} already exists; nothing was written. Add --force to overwrite "
            "it, or choose another path"
        )
    problem = folder_problem(path.parent)
    if problem is not None:
        raise OutputRefused(f"cannot write {what} {path}: {problem}")


def check_new_files(folder: Path, names: Iterable[str], force: bool, what: str = "--out") -> None:
    """None of `names` exists in `folder` (or `force` says overwrite them), and the folder
    can be made. Nothing is created yet."""
    check_folder(folder, what)
    names = list(names)
    for name in names:
        if (folder / name).is_dir():
            raise OutputRefused(f"{folder / name} is a folder; expected a file name")
    present = [name for name in names if (folder / name).exists() or (folder / name).is_symlink()]
    if present and not force:
        shown = ", ".join(present[:3]) + (f" and {len(present) - 3} more" if present[3:] else "")
        raise OutputRefused(
            f"{what} {folder} already holds {shown}; nothing was written. Add --force to "
            "overwrite them, or choose another folder"
        )


@contextlib.contextmanager
def new_file(path: Path, force: bool = False, *, text: bool = False) -> Iterator[IO[Any]]:
    """A handle to write `path` through: the data goes to a hidden file beside it, moved
    into place only when all of it is written, so nobody reads half a file. It never
    replaces an existing file unless `force`."""
    ensure_folder(path.parent, "the folder")
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if text:
            handle: IO[Any] = open(partial, "x", encoding="utf-8-sig", newline="")  # noqa: SIM115
        else:
            handle = open(partial, "xb")  # noqa: SIM115
    except FileExistsError:
        raise OutputRefused(f"{partial} is in the way; delete it and try again") from None
    except OSError as exc:
        raise OutputRefused(f"cannot write {path}: {why_not(path, exc)}") from None
    try:
        with handle:
            yield handle
        _place(partial, path, force)
    except OSError as exc:
        raise OutputRefused(f"cannot write {path}: {why_not(path, exc)}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _place(partial: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(partial, path)
        return
    try:
        os.link(partial, path)  # fails if `path` appeared meanwhile: never an overwrite
    except FileExistsError:
        raise OutputRefused(f"{path} already exists; nothing was written there") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise OutputRefused(f"{path} already exists; nothing was written there") from None
        os.replace(partial, path)


def write_new(path: Path, data: bytes, force: bool = False) -> None:
    """Write `data` to `path` as `new_file` does."""
    with new_file(path, force) as handle:
        handle.write(data)
