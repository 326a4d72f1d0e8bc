"""Fixtures: the fixture articles indexed once per session with the real indexer; app, client, runner."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from databases import analytics_url, postgres_server  # noqa: F401 (fixtures)
from helpers import PASSWORD, sign_in
from kb import create_app
from kb.folder import load_folder
from kb.index import IndexStore, update_index
from kb.rules import check_rules
from kb.taxonomy import load_taxonomy

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
PROJECT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch):
    """A developer's own KB_* variables must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("KB_"):
            monkeypatch.delenv(name)


def build(articles: Path, index_dir: Path, **options):
    """What `kb index` does: files unchanged since the current version are not parsed again; the
    rules file beside the articles is checked and published with them."""
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    store = IndexStore(index_dir)
    previous = None if options.get("full") else store.known_outlines(taxonomy)
    loaded = load_folder(articles, taxonomy, previous)
    rules = check_rules(articles / "rules.yaml", taxonomy, {outline.slug for outline in loaded.outlines})
    return update_index(store, loaded, taxonomy, rules=rules, **options)


@pytest.fixture(scope="session")
def articles_engine(tmp_path_factory):
    """An engine over the clinic's own articles (articles/), for checks across their whole vocabulary."""
    from kb.engine import Engine

    index_dir = tmp_path_factory.mktemp("articles-index")
    build(PROJECT / "articles", index_dir)
    store = IndexStore(index_dir)
    engine = Engine(store, store.current_name())
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("index")
    build(FIXTURES, index_dir)
    return index_dir


def make_app(articles: Path, index_dir: Path, instance: Path, **extra):
    return create_app(
        {"TESTING": True, "ARTICLES_DIR": str(articles), "INDEX_DIR": str(index_dir), "INSTANCE_DIR": str(instance), **extra}
    )


@pytest.fixture
def app(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance")
    yield app
    app.extensions["kb.search"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff_client(app, client):
    """The test client, signed in as the staff member "nurse"."""
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def engine(app):
    return app.extensions["kb.search"].engine()


@pytest.fixture
def articles_copy(tmp_path) -> Path:
    """A private, editable copy of the fixture articles."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def fresh_app(articles_copy, tmp_path):
    """An app over a private article copy and an index folder with nothing built yet."""
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance")
    yield app
    app.extensions["kb.search"].close()


# -- real browser against a real server ----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
#: axe-core from npm (`make test` installs it), for the accessibility audits.
AXE = PROJECT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
#: Headless Chromium as it runs here: no sandbox as root, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("the browser tests drive Debian's Chromium: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def watch(context, allow_failed=lambda response: False) -> list[str]:
    """What goes wrong on any page of `context`, as it happens: a script error, anything the
    Content-Security-Policy refuses, a stylesheet, script, image or fetch that fails (pages
    themselves may answer 404 on purpose; `allow_failed` names other expected failures)."""
    problems: list[str] = []

    def failed(response) -> bool:
        return response.status >= 400 and response.request.resource_type != "document" and not allow_failed(response)

    def on_page(page) -> None:
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None)
        page.on("response", lambda response: problems.append(f"{response.status} {response.url}") if failed(response) else None)

    context.on("page", on_page)
    return problems


@pytest.fixture
def new_context(browser):
    """Browser contexts for one test, each watched (`watch`): the test fails on any problem."""
    made = []

    def make(allow_failed=lambda response: False, **options):
        context = browser.new_context(**options)
        made.append((context, watch(context, allow_failed)))
        return context

    yield make
    problems = [problem for context, found in made for problem in found]
    for context, _ in made:
        context.close()
    assert problems == [], "a page reported script errors, refused content or failed loads"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Screenshots land in this test run's temporary folder (pytest prints its base with -v)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def clinic_sites(tmp_path_factory):
    """Two other websites that embed the widget: `allowed` is in KB_CORS_ORIGINS, `refused` is not."""
    from helpers import StaticSite

    sites = {name: StaticSite(tmp_path_factory.mktemp(name)) for name in ("allowed", "refused")}
    yield sites
    for site in sites.values():
        site.stop()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory, clinic_sites):
    """`kb serve` over the clinic's own articles, with one staff account made by `kb user add`."""
    from helpers import PASSWORD, kb, kb_env, running_server

    base = tmp_path_factory.mktemp("live")
    env = kb_env(PROJECT / "articles", base / "index", base / "instance", CORS_ORIGINS=clinic_sites["allowed"].url)
    kb(["user", "add", "nurse"], env, stdin=f"{PASSWORD}\n")
    with running_server(env) as server:
        server.instance = base / "instance"  # where its insights are recorded (insights.sqlite3)
        yield server


# -- figures the reliability tests report (docs/reliability.md quotes them) ------------------------

_FIGURES: dict[str, int | float | str] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, int | float | str]:
    """A test records what it tried and what happened; the run prints them all at its end."""
    return _FIGURES


_STARTED = [0.0]


def pytest_sessionstart(session):
    import time

    _STARTED[0] = time.monotonic()


#: Where a run that recorded figures leaves them, for `make reliability` (tests/reliability_doc.py).
LAST_RUN = PROJECT / ".reliability" / "last-run.json"


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in sorted(_FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
        _record_run(terminalreporter)


def _record_run(terminalreporter) -> None:
    import datetime as dt
    import json
    import time

    counts = {kind: len(terminalreporter.stats.get(kind, [])) for kind in ("passed", "failed", "error", "skipped")}
    run = {
        "date": dt.date.today().isoformat(),
        "seconds": round(time.monotonic() - _STARTED[0]),
        "tests": counts,
        "figures": _FIGURES,
    }
    LAST_RUN.parent.mkdir(exist_ok=True)
    LAST_RUN.write_text(json.dumps(run, indent=1, sort_keys=True, default=str), encoding="utf-8")
