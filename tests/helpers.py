"""Helpers shared by test modules: signing in through the real form, a real `kb serve` in a subprocess,
and index segments added the way an update without merging adds them."""
from __future__ import annotations

import math
import os
import re
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).parent.parent
PASSWORD = "correct horse battery"
KB = Path(sys.executable).with_name("kb")


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, name="nurse", password=PASSWORD, **extra):
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client), **extra})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kb_env(articles: Path, index_dir: Path, instance: Path, **settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KB_")}
    env.update(KB_ARTICLES_DIR=str(articles), KB_INDEX_DIR=str(index_dir), KB_INSTANCE_DIR=str(instance))
    env.update({f"KB_{name}": value for name, value in settings.items()})
    return env


def kb(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `kb` console script, as a user would."""
    return subprocess.run([str(KB), *args], cwd=PROJECT, env=env, input=stdin, text=True, capture_output=True, check=True)


class KbServer:
    """`kb serve` on a free port; its output is drained by a thread so a full pipe never stalls it."""

    def __init__(self, env: dict[str, str], workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [str(KB), "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            # gunicorn's own word that the socket listens and a worker is starting: requests
            # that arrive before the worker has loaded the app wait in the socket's backlog.
            if "Booting worker" in line:
                self._ready.set()
        self._ready.set()  # the process ended: let the waiter see why

    def wait_ready(self, timeout: float = 120) -> None:
        if not self._ready.wait(timeout) or self.process.poll() is not None:
            raise RuntimeError("kb serve did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        self.process.stdout.close()


@contextmanager
def running_server(env: dict[str, str], workers: int = 1):
    server = KbServer(env, workers)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


class StaticSite:
    """Another website (another origin: its own port) serving the files of one folder, like a clinic's site."""

    def __init__(self, folder: Path):
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class QuietHandler(SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:  # the test output is not an access log
                pass

        self.folder = folder
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def page(self, name: str, html: str) -> str:
        (self.folder / name).write_text(html, encoding="utf-8")
        return f"{self.url}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=30)


def add_segment(store, taxonomy, path: Path) -> None:
    """Re-index one article as Whoosh does without merging: a new segment holds it, the old copy is deleted."""
    from whoosh import index as whoosh_index

    from kb.articles import load_article
    from kb.index import document

    ix = whoosh_index.open_dir(str(store.current_path()))
    writer = ix.writer()
    writer.update_document(**document(load_article(path, taxonomy), taxonomy))
    writer.commit(merge=False)
    ix.close()


# -- Whoosh's own scoring, the oracle the NumPy scorer is checked against ------------------------


def whoosh_weighting(ranking):
    """Whoosh's BM25F with the ranking's k1, b and idf: what the "per-field" model must equal."""
    from whoosh.scoring import BM25F, BM25FScorer

    class ProbabilisticBM25F(BM25F):
        """BM25F with BM25's probabilistic idf, log(1 + (N - n + 0.5) / (n + 0.5)), as Lucene has it."""

        def scorer(self, searcher, fieldname, text, qf=1):
            scorer = super().scorer(searcher, fieldname, text, qf=qf)
            if isinstance(scorer, BM25FScorer):
                parent = searcher.get_parent()
                documents, containing = parent.doc_count_all(), parent.doc_frequency(fieldname, text)
                scorer.idf = math.log(1 + (documents - containing + 0.5) / (containing + 0.5))
            return scorer

    model = ProbabilisticBM25F if ranking.idf == "probabilistic" else BM25F
    return model(B=ranking.b, K1=ranking.k1)
