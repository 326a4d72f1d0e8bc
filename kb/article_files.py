"""The articles folder as the editor writes it: find an article's file by slug, read it with a
digest of its bytes, and replace it atomically unless it changed since it was read.

A save holds one lock (in the instance folder, never among the articles) from the check of the
digest to the rename, so two saves never both pass the check. Files are written beside their
final name and renamed over it: a reader (or `kb index`) sees the old file or the new one.
A file changed by anything else (a `git pull`, a text editor) has another digest: the check
refuses a save over it just as over another editor's.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filelock

from kb.errors import KbError, NotFound
from kb.folder import article_paths
from kb.taxonomy import SLUG

LOCK_FILE = "articles.lock"
#: How long a save waits for another one to finish writing.
LOCK_WAIT_SECONDS = 10
FILE_MODE = 0o644


@dataclass(frozen=True)
class FileVersion:
    """An article file's bytes as read, and their digest (what a form sends back to say which version it edited)."""

    path: Path
    raw: bytes

    @property
    def digest(self) -> str:
        return digest_of(self.raw)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


class EditConflict(KbError):
    """The file changed since the form was opened (or, for a new article, now exists)."""

    status = 409
    code = "edit_conflict"

    def __init__(self, message: str, current: FileVersion | None):
        super().__init__(message)
        self.current = current


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class ArticleFiles:
    def __init__(self, folder: str | os.PathLike, instance_dir: str | os.PathLike):
        self.folder = Path(folder)
        #: Held from reading a file to writing it and recording it; a holder may take it again.
        self.lock = filelock.FileLock(str(Path(instance_dir) / LOCK_FILE), timeout=LOCK_WAIT_SECONDS)

    def path_of(self, slug: str) -> Path | None:
        """The file of the article `slug` (in any subfolder), or None; never a file outside the folder."""
        if not SLUG.match(slug):
            return None
        name = f"{slug}.md"
        if not self._has_subfolders():  # the usual layout: no need to walk every file
            direct = self.folder / name
            return self._inside(direct) if direct.is_file() else None
        for path in article_paths(self.folder):
            if os.path.basename(path) == name and Path(path).is_file():
                return self._inside(Path(path))
        return None

    def _has_subfolders(self) -> bool:
        with os.scandir(self.folder) as entries:
            return any(entry.is_dir() and not entry.name.startswith(".") for entry in entries)

    def read(self, slug: str) -> FileVersion:
        path = self.path_of(slug)
        if path is None:
            raise NotFound(f"no article file '{slug}.md' in the articles folder", param="slug")
        return FileVersion(path, path.read_bytes())

    def new_path(self, slug: str) -> Path:
        if not SLUG.match(slug):
            raise KbError(f"'{slug}' is not an article slug", param="slug", status=400, code="bad_parameter")
        return self._inside(self.folder / f"{slug}.md")

    def save(self, slug: str, text: str, edited: str | None) -> FileVersion:
        """Write the article `slug`: a new file when `edited` is None, else over the version whose
        digest is `edited`. EditConflict, writing nothing, when the file is not that version."""
        raw = text.encode("utf-8")
        with self.lock:  # filelock.Timeout when another save holds it past LOCK_WAIT_SECONDS
            current = self.current(slug)
            if edited is None and current is not None:
                raise EditConflict(f"an article '{slug}' was created meanwhile", current)
            if edited is not None and (current is None or current.digest != edited):
                raise EditConflict(f"'{slug}' changed since you opened it", current)
            path = current.path if current else self.new_path(slug)
            _replace(path, raw)
        return FileVersion(path, raw)

    def current(self, slug: str) -> FileVersion | None:
        path = self.path_of(slug)
        return FileVersion(path, path.read_bytes()) if path else None

    def _inside(self, path: Path) -> Path:
        """`path`, refused when it (or a link on the way) leads out of the articles folder."""
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise KbError(f"{path} is outside the articles folder", status=400, code="bad_parameter")
        return path


def _replace(path: Path, raw: bytes) -> None:
    """Write `raw` beside `path` (a hidden name `kb index` skips), flush it to disk, rename it over `path`."""
    mode = path.stat().st_mode & 0o777 if path.exists() else FILE_MODE
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".md.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
