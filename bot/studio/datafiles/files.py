"""Safe edits of the workspace's files: a lock, atomic writes, all-or-nothing sets.

Several trainers (and several Rasa worker processes) may save at once, so
every save recomputes its edit from the files as they are *under the lock*
and refuses when they differ from what the trainer was shown (the "base").
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.studio.datafiles.errors import Conflict, WriteFailed

ENCODING = "utf-8"


def version_of(raw: bytes) -> str:
    """The content version ("base") of a file: sha256 of its bytes (a missing file is b"")."""
    return hashlib.sha256(raw).hexdigest()


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def read_text(path: Path) -> str:
    # bytes → str without newline translation, so that writing back keeps every byte
    return read_bytes(path).decode(ENCODING)


@dataclass(frozen=True)
class Change:
    """One file's edit: its text before and after, and the version it was computed from."""

    path: str  # relative to the workspace root, with forward slashes
    old: str
    new: str
    base: str

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.old, self.new)

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "diff": self.diff, "base": self.base}


def change_for(relative: str, old: str, new: str) -> Change:
    """The change from `old` (the file's text as read) to `new`."""
    return Change(path=relative, old=old, new=new, base=version_of(old.encode(ENCODING)))


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        _diff_lines(old), _diff_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    return "".join(lines)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        # as git shows it, so that the diff stays one line per line
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


@contextmanager
def workspace_lock(state_dir: Path, root: Path) -> Iterator[None]:
    """An exclusive inter-process lock for the edits of one workspace.

    flock locks belong to an open file description, so two threads that each
    open the lock file exclude one another as two processes do.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    with open(state_dir / f"datafiles-{name}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def atomic_write(path: Path, raw: bytes) -> None:
    """Replace `path` by `raw` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # the rename itself is only durable once the directory entry is on disk
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(
    root: Path,
    state_dir: Path,
    compute: Callable[[], list[Change]],
    bases: dict[str, str],
    unchecked: frozenset[str] = frozenset(),
) -> list[Change]:
    """Under the workspace lock: recompute the changes from the files as they are, check that
    every file has the version the trainer was shown (`bases`), then write them all or none.

    Paths in `unchecked` need no base: their edit is recomputed here, under the lock, so
    nothing anyone saved meanwhile is lost. Raises Conflict (with the fresh changes) when a
    base differs or the preview touched other files than the save would.
    """
    with workspace_lock(state_dir, root):
        changes = compute()
        paths = {c.path for c in changes}
        stale = sorted(
            {c.path for c in changes if c.path not in unchecked and bases.get(c.path) != c.base}
            | (set(bases) - paths - unchecked)
        )
        if stale:
            raise Conflict(
                f"{', '.join(stale)} changed since the preview; "
                "review the new diff and save again.",
                changes,
            )
        write_all(root, changes)
        return changes


def write_all(root: Path, changes: list[Change]) -> None:
    """Write every change; if one write fails, put back the files already written."""
    written: list[tuple[Path, bytes | None]] = []
    try:
        for change in changes:
            path = root / change.path
            before = path.read_bytes() if path.exists() else None
            if version_of(before or b"") != change.base:
                # compute() read the file under this same lock, so this means a writer
                # that ignores the lock; refuse rather than overwrite its edit
                raise WriteFailed(f"{change.path} changed while it was being saved.")
            atomic_write(path, change.new.encode(ENCODING))
            written.append((path, before))
    except Exception as error:
        for path, before in reversed(written):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, before)
        if isinstance(error, WriteFailed):
            raise
        raise WriteFailed(
            f"Could not write the training data ({error}); nothing was changed."
        ) from error
