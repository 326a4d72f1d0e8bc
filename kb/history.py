"""Who changed an article, what and when: every save from the editor is recorded.

When the articles folder is in a git work tree, a save is a commit of that one file, authored by
the editor (the `git` command, run with a timeout; no library needed for add, commit, log and
show). Otherwise each version is a JSON file under the instance folder's `history/<slug>/`.
Either way a change made outside the editor (a text editor, a `git pull` of uncommitted work)
is recorded first as its own version, so that a save's diff shows only the save.
Restoring an old version is a new save: history is only ever added to.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KbError

log = logging.getLogger(__name__)

#: Versions listed on a history page.
VERSIONS_SHOWN = 50
GIT_TIMEOUT_SECONDS = 20
#: The author of changes that were not made in the editor.
OUTSIDE_AUTHOR = "outside the editor"
OUTSIDE_MESSAGE = "Changed outside the editor"


@dataclass(frozen=True)
class Version:
    id: str
    author: str
    when: dt.datetime
    message: str


class HistoryError(KbError):
    """The save was written but could not be recorded."""


def history_for(articles_dir: str | os.PathLike, instance_dir: str | os.PathLike):
    """Git history when the articles folder is in a git work tree, else a history folder in the instance folder."""
    top = GitHistory.work_tree(Path(articles_dir))
    return GitHistory(top) if top else FolderHistory(Path(instance_dir) / "history")


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, line) of a unified diff from `old` to `new`: kind is 'add', 'remove', 'hunk' or 'same'."""
    kinds = {"+": "add", "-": "remove", "@": "hunk", " ": "same"}
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    return [(kinds.get(line[:1], "same"), line) for line in list(lines)[2:]]


class GitHistory:
    kind = "git"

    def __init__(self, top: Path):
        self.top = top

    @staticmethod
    def work_tree(folder: Path) -> Path | None:
        if shutil.which("git") is None:
            return None
        try:
            found = subprocess.run(
                ["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else None

    def record(self, slug: str, path: Path, author: str, message: str) -> None:
        """Commit the file as the editor wrote it, after any change made to it outside the editor."""
        relative = self._relative(path)
        self._git("add", "--", relative)
        if self._git("diff", "--cached", "--quiet", "--", relative, check=False) is not None:
            return  # nothing to commit: the file is as last committed
        self._commit(relative, author, message)

    def record_outside_changes(self, slug: str, path: Path) -> None:
        """Commit what changed in the file since its last commit, before the editor writes it."""
        if not path.exists():
            return
        relative = self._relative(path)
        self._git("add", "--", relative)
        if self._git("diff", "--cached", "--quiet", "--", relative, check=False) is None:
            self._commit(relative, OUTSIDE_AUTHOR, OUTSIDE_MESSAGE)

    def versions(self, slug: str, path: Path) -> list[Version]:
        relative = self._relative(path)
        out = self._git("log", f"-{VERSIONS_SHOWN}", "--format=%H%x1f%an%x1f%aI%x1f%s", "--", relative) or ""
        versions = []
        for line in out.splitlines():
            commit, author, when, message = line.split("\x1f", 3)
            versions.append(Version(commit, author, dt.datetime.fromisoformat(when), message))
        return versions

    def text(self, slug: str, path: Path, version: str) -> str | None:
        if not (len(version) == 40 and all(c in "0123456789abcdef" for c in version)):
            return None
        return self._git("show", f"{version}:{self._relative(path)}", check=False)

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.top.resolve()).as_posix()

    def _commit(self, relative: str, author: str, message: str) -> None:
        self._git("commit", "--no-verify", "--quiet", "-m", message, f"--author={author} <{_email(author)}>", "--", relative)

    def _git(self, *args: str, check: bool = True) -> str | None:
        """git's output, or None when it fails and `check` is off (HistoryError when it is on)."""
        env = {**os.environ, "GIT_COMMITTER_NAME": "kb editor", "GIT_COMMITTER_EMAIL": "kb-editor@localhost", "GIT_TERMINAL_PROMPT": "0"}
        command = ["git", "-c", "commit.gpgsign=false", "-C", str(self.top), *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, env=env)
        except (OSError, subprocess.SubprocessError) as exc:
            raise HistoryError(f"git {args[0]} failed: {exc}") from exc
        if done.returncode != 0:
            if check:
                raise HistoryError(f"git {args[0]} failed: {done.stderr.strip() or done.returncode}")
            return None
        return done.stdout


class FolderHistory:
    kind = "folder"

    def __init__(self, root: Path):
        self.root = root

    def record(self, slug: str, path: Path, author: str, message: str) -> None:
        self._add(slug, path.read_text(encoding="utf-8"), author, message)

    def record_outside_changes(self, slug: str, path: Path) -> None:
        """Keep the file as it is now when it is not the last version recorded (changed on disk, or never recorded)."""
        if not path.exists():
            return
        text = path.read_text(encoding="utf-8")
        latest = self._files(slug)[:1]
        if not latest or self._load(latest[0])["text"] != text:
            self._add(slug, text, OUTSIDE_AUTHOR, OUTSIDE_MESSAGE)

    def versions(self, slug: str, path: Path) -> list[Version]:
        versions = []
        for file in self._files(slug)[:VERSIONS_SHOWN]:
            data = self._load(file)
            versions.append(Version(file.stem, data["author"], dt.datetime.fromisoformat(data["when"]), data["message"]))
        return versions

    def text(self, slug: str, path: Path, version: str) -> str | None:
        if not version.isdigit():
            return None
        file = self.root / slug / f"{version}.json"
        return self._load(file)["text"] if file.is_file() else None

    def _files(self, slug: str) -> list[Path]:
        """The versions' files, newest first (their names are increasing numbers)."""
        folder = self.root / slug
        return sorted(folder.glob("*.json"), key=lambda file: int(file.stem), reverse=True) if folder.is_dir() else []

    def _add(self, slug: str, text: str, author: str, message: str) -> None:
        folder = self.root / slug
        folder.mkdir(parents=True, exist_ok=True)
        files = self._files(slug)
        number = int(files[0].stem) + 1 if files else 1
        data = {"author": author, "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "message": message, "text": text}
        temporary = folder / f".{number}.tmp"
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, folder / f"{number:06d}.json")

    @staticmethod
    def _load(file: Path) -> dict:
        return json.loads(file.read_text(encoding="utf-8"))


def _email(author: str) -> str:
    """git wants an address: a staff name that is one is used as it is."""
    return author if "@" in author else f"{author.replace(' ', '-')}@kb.invalid"
