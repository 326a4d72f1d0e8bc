"""Faults: a killed build, a damaged or missing index, unreadable articles, a full disk.

Each runs the real `kb index` command in its own process where the fault is the process's own
(SIGKILL, a file-size limit), and checks that the version being served is untouched and that the
next `kb index` puts everything right.
"""
from __future__ import annotations

import gc
import os
import random
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, make_app
from helpers import KB, PROJECT, kb, kb_env
from kb.index import IndexStore

pytestmark = pytest.mark.fault

ARTICLE = """---
title: Generated article {number}
summary: One of many articles that make a build take long enough to interrupt.
procedure: [microneedling]
updated: 2026-11-01
sources: [001_7c306c35706ba94e.txt]
---
{body}
"""


def many_articles(folder, count: int) -> None:
    words = "collagen needle session redness swelling boxcar rolling scar serum peel laser cost".split()
    for number in range(count):
        body = "\n\n".join(" ".join(words[(number + i + j) % len(words)] for j in range(60)) for i in range(30))
        (folder / f"generated-{number}.md").write_text(ARTICLE.format(number=number, body=body), encoding="utf-8")


@pytest.fixture
def site(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(FIXTURES, articles)
    env = kb_env(articles, tmp_path / "index", tmp_path / "instance")
    kb(["index"], env)
    app = make_app(articles, tmp_path / "index", tmp_path / "instance", RATELIMIT_ENABLED=False)
    yield app, env, articles, IndexStore(tmp_path / "index")
    app.extensions["kb.search"].close()


def public_total(app) -> int:
    answer = app.test_client().get("/api/v1/search?q=")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["total"]


def wait_for(condition, timeout: float = 60.0, what: str = "") -> None:
    """Poll an observable condition (a file appearing) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_sigkill_mid_build_leaves_the_old_index_serving_and_the_next_run_cleans_up(site, figures):
    app, env, articles, store = site
    serving, before = store.current_name(), public_total(app)
    many_articles(articles, 400)
    build = subprocess.Popen([str(KB), "index", "--full"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: any(store.root.glob("tmp-*")) or build.poll() is not None, what="the build to start writing")
    build.send_signal(signal.SIGKILL)
    assert build.wait() == -signal.SIGKILL
    half_built = list(store.root.glob("tmp-*"))
    assert half_built, "the build had finished before it was killed: nothing was proved"
    assert store.current_name() == serving and public_total(app) == before
    assert (store.root / ".writer.lock").exists()  # left behind; the kernel released the lock itself
    result = kb(["index"], env)
    assert "400 added" in result.stdout
    assert not any(path.exists() for path in half_built)
    assert public_total(app) == before + 400
    figures["faults: SIGKILL mid-build, old version served, next run recovered"] = "yes"


# Whoosh leaves the files of a reader that failed half-way open; they are collected inside the test.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", ["garbage table of contents", "truncated segment files", "truncated postings", "random bytes in a text column", "version folder deleted"])
def test_a_damaged_or_missing_index_answers_503_and_a_plain_kb_index_repairs_it(site, damage):
    """No article changed: `kb index` must still notice the damage and rebuild, not say "0 added"."""
    app, env, articles, store = site
    before = public_total(app)
    folder = store.current_path()
    if damage == "garbage table of contents":
        for toc in folder.glob("*.toc"):
            toc.write_bytes(b"\x80\x04not a pickle at all")
    elif damage == "truncated segment files":
        for segment in folder.glob("MAIN_*"):  # terms, postings, stored fields, columns
            segment.write_bytes(segment.read_bytes()[:40])
    elif damage == "truncated postings":
        for postings in folder.glob("MAIN_*.pst"):
            postings.write_bytes(postings.read_bytes()[: postings.stat().st_size // 2])
    elif damage == "random bytes in a text column":
        for column in folder.glob("MAIN_*.text.col"):
            data = bytearray(column.read_bytes())
            data[: len(data) // 2] = random.Random(7).randbytes(len(data) // 2)  # the same size: only the content says so
            column.write_bytes(bytes(data))
    else:
        shutil.rmtree(folder)
    fresh = make_app(articles, store.root, store.root.parent / "instance2", RATELIMIT_ENABLED=False)
    try:
        client = fresh.test_client()
        paths = ["/api/v1/search?q=acne", "/api/v1/search?q=microneedling", "/api/v1/search?q=", "/articles/what-is-microneedling", "/?q=acne"]
        answers = [client.get(path) for path in paths]
        assert {answer.status_code for answer in answers} <= {200, 503} and 503 in {answer.status_code for answer in answers}
        for answer in answers:
            assert "Traceback" not in answer.get_data(as_text=True)
            if answer.status_code == 503 and answer.is_json:
                assert answer.json["error"]["code"] == "index_unavailable" and "kb index" in answer.json["error"]["message"]
        gc.collect()
        result = kb(["index"], env)  # a plain run, nothing changed in the articles
        assert "full build" in result.stdout, result.stdout
        if damage != "version folder deleted" and damage != "garbage table of contents":
            assert "damaged index files repaired" in result.stdout
        assert public_total(fresh) == public_total(app) == before
        assert all(client.get(path).status_code == 200 for path in paths)
    finally:
        fresh.extensions["kb.search"].close()


def test_unreadable_and_binary_files_are_rejected_by_name_while_the_rest_are_indexed(site):
    app, env, articles, store = site
    before = public_total(app)
    (articles / "dangling.md").symlink_to(articles / "nowhere.md")
    (articles / "a-folder.md").mkdir()
    (articles / "picture.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (articles / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    (articles / "fine.md").write_text(ARTICLE.format(number=2, body="Still indexed."), encoding="utf-8")
    result = subprocess.run([str(KB), "index"], cwd=PROJECT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    for name, reason in (("dangling.md", "cannot read"), ("a-folder.md", "cannot read"), ("picture.md", "binary"), ("latin1.md", "UTF-8")):
        assert any(name in line and reason in line for line in result.stderr.splitlines() + result.stdout.splitlines()), name
    assert "Traceback" not in result.stderr
    assert app.test_client().get("/api/v1/articles/fine").status_code == 200
    assert public_total(app) == before + 1


def _small_file_limit(limit: int):
    def apply() -> None:
        # Writes past `limit` bytes fail with EFBIG, as a full disk fails them with ENOSPC (Python ignores SIGXFSZ).
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_during_a_build_leaves_the_old_index_intact(site, figures):
    app, env, articles, store = site
    serving, before = store.current_name(), public_total(app)
    files_before = {path.name: path.read_bytes() for path in store.current_path().iterdir() if path.is_file()}
    many_articles(articles, 60)
    result = subprocess.run(
        [str(KB), "index", "--full"], cwd=PROJECT, env=env, capture_output=True, text=True, preexec_fn=_small_file_limit(4096),
    )
    assert result.returncode == 2
    assert "could not write the index" in result.stderr and "previous version is still served" in result.stderr
    assert "Traceback" not in result.stderr
    assert store.current_name() == serving and public_total(app) == before
    assert {path.name: path.read_bytes() for path in store.current_path().iterdir() if path.is_file()} == files_before  # byte for byte
    assert not list(store.root.glob("tmp-*"))
    kb(["index"], env)  # space again: the next run succeeds
    assert public_total(app) == before + 60
    figures["faults: disk full mid-build (file-size limit), old version intact"] = "yes"


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while being read
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("phase", ["parsing", "writing"])
def test_killing_kb_index_ends_its_parser_and_writer_processes(site, phase, figures):
    """kill -9 of a large build: the processes it started (a parser pool, Whoosh's writers) end too."""
    if (os.cpu_count() or 1) < 2:
        pytest.fail("a large build runs in several processes only on a machine with two cores or more")
    app, env, articles, store = site
    many_articles(articles, 1500)
    build = subprocess.Popen([str(KB), "index", "--full"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = (lambda: any(store.root.glob("tmp-*"))) if phase == "writing" else (lambda: True)
    wait_for(lambda: (started() and children_of(build.pid)) or build.poll() is not None, what=f"the build's {phase} processes")
    children = children_of(build.pid)
    build.send_signal(signal.SIGKILL)
    assert build.wait() == -signal.SIGKILL
    assert children, f"the build had no {phase} processes when it was killed: nothing was proved"
    try:
        wait_for(lambda: not any(alive(child) for child in children), timeout=30, what="the children to end with their parent")
    finally:
        for child in children:  # a failed run leaves no orphans behind it either
            if alive(child):
                os.kill(child, signal.SIGKILL)
    figures[f"faults: kill -9 of kb index while {phase}, child processes left alive"] = 0
