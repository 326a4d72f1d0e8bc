"""Speed against a SQLite FTS5 service doing the same work, in one run: engine, HTTP, index.

    .venv/bin/python benchmarks/speed.py [--data ../shared/data/nfcorpus] [--clinic-size 10000]
                                         [--duration 10] [--no-http] [--no-record]

1. Engine level, in this process: a full search (top 10, total, disjunctive facet counts,
   snippets) through `Engine.search` against `benchmarks/fts5.py` (bm25(), snippet(), count,
   facet counts by SQL), on NFCorpus (3,633 documents, its test queries) and on a synthetic
   clinic corpus (benchmarks/clinic_corpus.py; queries with and without facet filters). Each
   engine runs every query once to warm up (page cache, term postings), then once measured.
   The answer cache is not involved: it sits in the HTTP layer.
2. HTTP level: `gunicorn wsgi:app` and `gunicorn 'benchmarks.fts5:create_app()'` with the same
   settings (2 sync workers), driven by wrk (Debian's package) from a second process, after a
   warm-up run on each of a mix like the measured one (its popular searches, other unique ones):
   unique queries (each asked once, none seen in the warm-up), and a realistic mix
   (Zipf-repeated queries, a unique tail never asked before, facet filters, suggest calls),
   beside a trivial Flask JSON endpoint served the same way. Runs compared with each other take
   turns (TURNS, each going on where it stopped), as the machine's speed drifts during a run.
3. Index: full build times, a one-article incremental update on the clinic corpus, index
   size, and each worker's resident memory after the load.

Prints the tables and records them in docs/benchmarks.md. NFCorpus is research data and is
never shipped; without it the NFCorpus rows are left out and the script says so.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import beir, clinic_corpus, fts5, report  # noqa: E402
from kb.folder import load_folder  # noqa: E402
from kb.index import IndexStore, update_index  # noqa: E402
from kb.engine import Engine  # noqa: E402
from kb.parameters import parse_request  # noqa: E402
from kb.taxonomy import FACET_KEYS, load_taxonomy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nfcorpus"
WORKERS = 2
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("KB_WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
local offset = 0
local base = tonumber(os.getenv("KB_WRK_START") or "0")
setup = function(thread) offset = offset + 1; thread:set("start", base + offset * 7919) end
request = function()
    counter = counter + 1
    return wrk.format("GET", paths[((start or 0) + counter) % #paths + 1])
end
done = function(summary, latency, requests)
    local quantiles = {}
    for step = 1, QUANTILE_STEPS - 1 do quantiles[step] = string.format("%f", latency:percentile(step * 100 / QUANTILE_STEPS) / 1000) end
    io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "status": %d, "quantiles": [%s]}\\n',
        summary.requests, summary.duration / 1e6,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        summary.errors.status, table.concat(quantiles, ", ")))
end
"""
#: The HTTP runs that take turns with the trivial endpoint, the last of them.
MIX_KB, MIX_REFERENCE, TRIVIAL = "realistic mix: kb", "realistic mix: Flask + FTS5 reference", "trivial Flask JSON endpoint"
#: The same kb with its answer cache off (KB_ANSWER_CACHE_SIZE=0): what the cache is worth.
MIX_UNCACHED = "realistic mix: kb, answer cache off"
MIX_GROUP = (MIX_KB, MIX_UNCACHED, MIX_REFERENCE, TRIVIAL)
#: Latency percentiles are read at every 1/QUANTILE_STEPS of each run, then merged across turns.
QUANTILE_STEPS = 1000
#: The runs compared with each other take turns this many times, so that a change in the shared
#: machine's speed during the measurement falls on all of them alike.
TURNS = 5


# -- engine level ---------------------------------------------------------------------------------


def timed(run, items) -> list[float]:
    for item in items:  # warm-up pass
        run(item)
    times = []
    for item in items:
        started = time.perf_counter()
        run(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def engine_rows(label: str, workdir: Path, searches: list[tuple[str, dict]]) -> list[tuple]:
    """(name, p50, p95, p99) for our engine and the FTS5 reference over the same searches."""
    store = IndexStore(workdir / "index")
    engine = Engine(store, store.current_name())
    reference = fts5.Fts5Search(workdir / "fts5.sqlite")
    try:
        ours = timed(lambda s: engine.search(parse_request({"q": [s[0][:200]], **{k: [v] for k, v in s[1].items()}}, engine.taxonomy)), searches)
        theirs = timed(lambda s: reference.search(s[0][:200], {k: [v] for k, v in s[1].items()}), searches)
    finally:
        engine.close()
        reference.close()
    return [(f"{label}: kb search", *percentiles(ours)), (f"{label}: FTS5 reference", *percentiles(theirs))]


def percentiles(times: list[float]) -> tuple[float, float, float]:
    return report.percentile(times, 50), report.percentile(times, 95), report.percentile(times, 99)


def suggest_row(workdir: Path, prefixes: list[str]) -> tuple:
    store = IndexStore(workdir / "index")
    engine = Engine(store, store.current_name())
    reference = fts5.Fts5Search(workdir / "fts5.sqlite")
    try:
        ours = timed(lambda p: engine.suggest(p), prefixes)
        theirs = timed(lambda p: reference.suggest(p), prefixes)
    finally:
        engine.close()
        reference.close()
    return percentiles(ours), percentiles(theirs)


def build_both(articles: Path, workdir: Path) -> tuple[float, float]:
    """Build our index (`kb index --full`'s work: parse and index) and the FTS5 reference; seconds each."""
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    started = time.perf_counter()
    loaded = load_folder(articles, taxonomy)
    update_index(IndexStore(workdir / "index"), loaded, taxonomy, full=True)
    ours = time.perf_counter() - started
    theirs = fts5.build(loaded.articles, workdir / "fts5.sqlite")
    return ours, theirs


def incremental_update(articles: Path, workdir: Path) -> tuple[float, float]:
    """Seconds for one changed article: `kb index`'s work in process (the folder checked against the
    current version's outlines, the changed file parsed, the index updated), and the whole command
    (with the interpreter's start-up and imports)."""
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    store = IndexStore(workdir / "index")
    path = sorted(articles.glob("*.md"))[len(list(articles.glob("*.md"))) // 2]
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence about downtime.\n", encoding="utf-8")
    started = time.perf_counter()
    loaded = load_folder(articles, taxonomy, store.known_outlines(taxonomy))
    report = update_index(store, loaded, taxonomy)
    update = time.perf_counter() - started
    if (report.updated, len(loaded.articles)) != (1, 1):
        raise RuntimeError(f"expected one article parsed and updated, got {len(loaded.articles)} parsed: {report.summary()}")
    path.write_text(path.read_text(encoding="utf-8") + "\nAnd one about cost.\n", encoding="utf-8")
    env = {**os.environ, "KB_ARTICLES_DIR": str(articles), "KB_INDEX_DIR": str(workdir / "index")}
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "kb"), "index"], env=env, check=True, capture_output=True)
    command = time.perf_counter() - started
    return update, command


def size_mb(path: Path) -> float:
    """A file's or a folder's size on disk, in MB."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


# -- HTTP level -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn APP` with the benchmark's worker settings, ready when it answers `probe`."""

    def __init__(self, app: str, env: dict, probe: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not self._answers(probe):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.1)  # waiting for a server to listen, before any measurement

    def _answers(self, path: str) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                return sock.recv(12).endswith(b" 200")
        except OSError:
            return False

    def worker_rss_mb(self) -> list[tuple[float, float]]:
        """Each worker's resident memory and, within it, its private (anonymous) part: the rest is
        pages of files it maps, such as the index's text columns, shared through the page cache."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        sizes = []
        for pid in children:
            status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
            sizes.append((int(status["VmRSS"].split()[0]) / 1024, int(status["RssAnon"].split()[0]) / 1024))
        return sizes

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def wrk(port: int, paths: list[str], seconds: int, connections: int = 8, start: int = 0) -> dict:
    """One wrk run over `paths`, in order from `start` (each of its two threads 7,919 paths apart)."""
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp) / "paths.lua", Path(tmp) / "paths.txt"
        script.write_text(WRK_SCRIPT.replace("QUANTILE_STEPS", str(QUANTILE_STEPS)))
        listing.write_text("\n".join(paths) + "\n")
        output = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"],
            env={**os.environ, "KB_WRK_PATHS": str(listing), "KB_WRK_START": str(start)}, capture_output=True, text=True, check=True,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def in_turns(runs: list[tuple[int, list[str]]], seconds: int, turns: int = TURNS) -> list[dict]:
    """Each (port, paths) run for `seconds` in all (whole seconds per turn), as `turns` wrk runs
    taken in rotation; each turn goes on through its paths where the last one stopped. Returns
    each run's requests/s, errors and latency percentiles (p50, p95, p99), merged from every
    turn's percentiles."""
    done: list[list[dict]] = [[] for _ in runs]
    for _ in range(turns):
        for (port, paths), results in zip(runs, done):
            sent = sum(result["requests"] for result in results)
            results.append(wrk(port, paths, max(1, seconds // turns), start=sent // 2))  # two threads, each about half
    return [combined(results) for results in done]


def combined(results: list[dict]) -> dict:
    """Turns of one run as one: requests/s over all their time, errors, p50/p95/p99 in ms, and
    each turn's requests/s ("turns")."""
    requests = sum(result["requests"] for result in results)
    # Each turn's percentiles, weighted by its requests: a sample of the whole run's latencies.
    weighted = sorted((value, result["requests"] / len(result["quantiles"])) for result in results for value in result["quantiles"])
    combined = {
        "rps": requests / sum(result["seconds"] for result in results),
        "errors": sum(r["errors"] + r["status"] for r in results),
        "turns": [result["requests"] / result["seconds"] for result in results],
    }
    for name, share in [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)]:
        total = 0.0
        for value, weight in weighted:
            total += weight
            if total >= share * requests:
                combined[name] = value
                break
    return combined


def median_share(turns: list[float], trivial_turns: list[float]) -> float:
    """The median, over the turns, of a run's requests/s as a share of the trivial endpoint's in
    the same turn: a stall of the shared machine during one turn of either run moves it less than
    the ratio of the whole runs, which such a stall in the trivial run alone can raise."""
    return statistics.median(ours / trivial for ours, trivial in zip(turns, trivial_turns))


def search_path(q: str, filters: dict | None = None) -> str:
    from urllib.parse import urlencode

    return "/api/v1/search?" + urlencode({"q": q[:200], **(filters or {})})


def realistic_mix(head: list[str], unique: list[str], values: dict[str, list[str]], count: int, seed: int = 3) -> list[str]:
    """Zipf-repeated popular searches (s = 1.1), 20% unique ones, 15% with a facet filter, 25% suggest calls."""
    rng = random.Random(seed)
    weights = [1 / (rank ** 1.1) for rank in range(1, len(head) + 1)]
    tail = iter(unique)
    paths = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25:
            q = rng.choices(head, weights)[0]
            paths.append("/api/v1/suggest?q=" + q[: rng.randint(1, max(1, len(q)))].replace(" ", "+"))
            continue
        q = next(tail) if roll < 0.45 else rng.choices(head, weights)[0]
        filters = {}
        if rng.random() < 0.15:
            key = rng.choice(list(values))
            filters[key] = rng.choice(values[key])
        paths.append(search_path(q, filters))
    return paths


def mix_and_warm_up(head: list[str], unique: list[str], values: dict[str, list[str]], count: int = 40000) -> tuple[list[str], list[str]]:
    """The measured realistic mix and the warm-up's: the same popular searches, but unique
    queries split between them, so the measured mix's unique ones are never asked before."""
    half = len(unique) // 2
    return realistic_mix(head, unique[:half], values, count), realistic_mix(head, unique[half:], values, count, seed=5)


def http_rows(workdir: Path, articles: Path, head: list[str], unique: list[str], seconds: int) -> tuple[list[tuple], dict, int]:
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    values = {key: [v.value for v in taxonomy.facet(key).values] for key in FACET_KEYS}
    env = {
        "KB_ARTICLES_DIR": str(articles), "KB_INDEX_DIR": str(workdir / "index"), "KB_INSTANCE_DIR": str(workdir / "instance"),
        "KB_FTS5_DB": str(workdir / "fts5.sqlite"),
        # wrk is one client address: the per-client API limit would answer it 429 (the reference has none).
        "KB_RATELIMIT_ENABLED": "false",
    }
    ours = Gunicorn("wsgi:app", env, "/api/v1/search?q=scars")
    uncached = Gunicorn("wsgi:app", {**env, "KB_ANSWER_CACHE_SIZE": "0"}, "/api/v1/search?q=scars")
    # Insights recording is on by default (an SQLite file in the instance folder); this one has it off.
    unrecorded = Gunicorn("wsgi:app", {**env, "KB_ANALYTICS": "false", "KB_INSTANCE_DIR": str(workdir / "instance-off")}, "/api/v1/search?q=scars")
    theirs = Gunicorn("benchmarks.fts5:create_app()", env, "/trivial")
    rows, memory = [], {}
    try:
        unique_paths = [search_path(q) for q in unique]
        # The first half of the unique queries is for the unique-queries runs, the rest for the mixes.
        mix, warm_up = mix_and_warm_up(head, unique[len(unique) // 2 :], values)
        for server in (ours, uncached, unrecorded, theirs):  # not measured: worker start, page cache, caches of the head
            wrk(server.port, warm_up, seconds)
        measured = [
            ("unique queries: kb (gunicorn wsgi:app), insights recorded", ours, unique_paths[: len(unique) // 2]),
            ("unique queries: kb, insights recording off", unrecorded, unique_paths[: len(unique) // 2]),
            ("unique queries: Flask + FTS5 reference", theirs, unique_paths[: len(unique) // 2]),
        ], [
            (MIX_KB, ours, mix),
            (MIX_UNCACHED, uncached, mix),
            (MIX_REFERENCE, theirs, mix),
            (TRIVIAL, theirs, ["/trivial"]),
        ]
        for group in measured:
            results = in_turns([(server.port, paths) for _, server, paths in group], seconds)
            rows += [(name, r["rps"], r["p50"], r["p95"], r["p99"], r["errors"], r["turns"]) for (name, _, _), r in zip(group, results)]
        memory = {
            "kb": ours.worker_rss_mb(), "kb, answer cache off": uncached.worker_rss_mb(),
            "kb, insights off": unrecorded.worker_rss_mb(), "FTS5 reference": theirs.worker_rss_mb(),
        }
        recorded = _recorded_searches(workdir / "instance" / "insights.sqlite3")
    finally:
        for server in (ours, uncached, unrecorded, theirs):
            server.stop()
    return rows, memory, recorded


def _recorded_searches(database: Path) -> int:
    """How many searches the recording server wrote (its workers write every 2 seconds)."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM searches").fetchone()[0]


# -- the run --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--clinic-size", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = parser.parse_args()
    if not args.no_http and shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk); run with --no-http for the engine and index figures.")
        return 2

    engine_table, index_rows, sections = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        try:
            collection = beir.load(args.data, "test")
        except beir.DataMissing as missing:
            collection = None
            print(f"{missing}: NFCorpus rows left out.")
        if collection is not None:
            nf = tmp / "nfcorpus"
            beir.write_articles(collection.docs, nf / "articles")
            ours, theirs = build_both(nf / "articles", nf)
            index_rows += [("NFCorpus full build (3,633 articles)", ours, theirs), ("NFCorpus index size MB", size_mb(nf / "index"), size_mb(nf / "fts5.sqlite"))]
            engine_table += engine_rows("NFCorpus", nf, [(text, {}) for text in collection.queries.values()])

        clinic = tmp / "clinic"
        articles = clinic_corpus.generate(clinic / "articles", args.clinic_size)
        ours, theirs = build_both(articles, clinic)
        index_rows += [(f"clinic full build ({args.clinic_size:,} articles)", ours, theirs), ("clinic index size MB", size_mb(clinic / "index"), size_mb(clinic / "fts5.sqlite"))]
        taxonomy = load_taxonomy(articles / "taxonomy.yaml")
        values = {key: [v.value for v in taxonomy.facet(key).values] for key in FACET_KEYS}
        rng = random.Random(4)
        texts = clinic_corpus.queries(2000)
        searches = []
        for number, q in enumerate(texts[:600]):
            key = rng.choice(list(values))
            searches.append((q, {key: rng.choice(values[key])} if number % 3 == 0 else {}))  # a third filtered
        engine_table += engine_rows(f"clinic {args.clinic_size:,}", clinic, searches)
        prefixes = [q[: rng.randint(1, len(q))] for q in texts[600:1200]]
        (s50, s95, s99), (r50, r95, r99) = suggest_row(clinic, prefixes)

        http, memory, recorded = ([], {}, 0)
        if not args.no_http:
            head = [q for q, _ in searches[:200]]
            unique = [q for q in dict.fromkeys(clinic_corpus.queries(60000, seed=9)) if q not in set(head)]
            http, memory, recorded = http_rows(clinic, articles, head, unique, args.duration)
        update, command = incremental_update(articles, clinic)

    lines = ["| engine level: full search | p50 ms | p95 ms | p99 ms | p50 ratio to FTS5 |", "|---|---|---|---|---|"]
    for i in range(0, len(engine_table), 2):
        (name, o50, o95, o99), (ref, f50, f95, f99) = engine_table[i], engine_table[i + 1]
        lines.append(f"| {name} | {o50:.2f} | {o95:.2f} | {o99:.2f} | {o50 / f50:.2f} |")
        lines.append(f"| {ref} | {f50:.2f} | {f95:.2f} | {f99:.2f} | 1.00 |")
    lines.append(f"| clinic suggest: kb | {s50:.3f} | {s95:.3f} | {s99:.3f} | {s50 / r50:.2f} |")
    lines.append(f"| clinic suggest: FTS5 fts5vocab prefix | {r50:.3f} | {r95:.3f} | {r99:.3f} | 1.00 |")
    sections.append("\n".join(lines))
    if http:
        trivial, trivial_turns = http[-1][1], http[-1][6]
        lines = [
            "| HTTP (2 gunicorn sync workers, wrk -t2 -c8) | requests/s | p50 ms | p95 ms | p99 ms | errors | share of trivial req/s | median of the turns' shares |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n, rps, p50, p95, p99, errors, turns in http:
            # Only the runs taking turns with the trivial endpoint (the mix's group) have shares per turn.
            paired = f"{median_share(turns, trivial_turns):.0%}" if n in MIX_GROUP else ""
            lines.append(f"| {n} | {rps:.0f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {errors} | {rps / trivial:.0%} | {paired} |")
        sections.append("\n".join(lines))
        sections.append(
            "Resident memory per worker after the load (MB; in brackets its private part, the rest being mapped files): "
            + "; ".join(f"{k} {', '.join(f'{rss:.0f} ({private:.0f})' for rss, private in v)}" for k, v in memory.items())
        )
        sections.append(f"Searches the recording server wrote to its insights database during the run: {recorded:,}.")
    lines = ["| index | kb | FTS5 reference |", "|---|---|---|"]
    lines += [f"| {name} | {ours:.2f} | {theirs:.2f} |" for name, ours, theirs in index_rows]
    lines.append(f"| clinic: one-article incremental update, in process (check folder, parse, index) s | {update:.2f} | |")
    lines.append(f"| clinic: one-article incremental update, whole `kb index` command s | {command:.2f} | |")
    sections.append("\n".join(lines))
    text = "\n\n".join(sections)
    print(text)
    if not args.no_record:
        report.record(
            "Speed against SQLite FTS5",
            f"Run {report.today()} with `.venv/bin/python benchmarks/speed.py --clinic-size {args.clinic_size} --duration {args.duration}` "
            f"on {report.describe_machine()}; wrk {subprocess.run(['wrk', '--version'], capture_output=True, text=True).stdout.split()[1] if shutil.which('wrk') else 'absent'}.\n\n{text}\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
