"""The `kb` command: index, check, search, serve, user, insights."""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from kb.accounts import ROLES, StaffAccounts
from kb.articles import PUBLIC, STAFF
from kb.children import end_children_with_this_process
from kb.errors import KbError
from kb.folder import LoadResult
from kb.index import IndexStore
from kb.indexing import index_loaded, load_articles
from kb.insights.command import insights_command
from kb.parameters import Limits, parse_request
from kb.rules import RuleSet
from kb.taxonomy import FACET_KEYS, Taxonomy

log = logging.getLogger(__name__)


def _fail(error: KbError, code: int = 2):
    click.secho(f"error: {error.message}", fg="red", err=True)
    raise SystemExit(code)


def _load(previous_from: IndexStore | None = None) -> tuple[Taxonomy, LoadResult, RuleSet]:
    """The taxonomy, the articles and the query rules, or the command ends saying what is unusable."""
    try:
        return load_articles(current_app.config, previous_from)
    except KbError as exc:
        _fail(exc)


def _report_problems(loaded: LoadResult) -> None:
    for problem in loaded.problems:
        label = "rejected" if problem.fatal else "warning"
        click.echo(f"{label}: {problem}", err=True)


def build_index(full: bool = False, wait: float = 0.0, show_progress: bool = False):
    """Load the articles and bring the index up to date; returns the report (used by `serve` too)."""
    end_children_with_this_process()  # parser and writer processes never outlive a killed build
    store = IndexStore(current_app.config["INDEX_DIR"])
    loaded = _load(None if full else store)
    _report_problems(loaded[1])
    if show_progress and loaded[1].articles:
        with click.progressbar(length=len(loaded[1].articles), label="Indexing", file=sys.stderr) as bar:
            done = [0]

            def advance(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            return index_loaded(current_app.config, loaded, full=full, wait=wait, progress=advance)
    return index_loaded(current_app.config, loaded, full=full, wait=wait)


@click.command("index")
@with_appcontext
@click.option("--full", is_flag=True, help="Rebuild everything instead of updating changed articles.")
@click.option("--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another running `kb index`.")
def index_command(full: bool, wait: float) -> None:
    """Build or update the index from the articles folder."""
    try:
        report = build_index(full=full, wait=wait, show_progress=sys.stderr.isatty())
    except KbError as exc:
        _fail(exc)
    except OSError as exc:  # a full disk, a size limit, a read-only folder: the old version still serves
        _fail(KbError(f"could not write the index ({exc.strerror or exc}); the previous version is still served"))
    click.echo(f"Indexed: {report.summary()}")
    if report.problems:
        raise SystemExit(1)


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Validate every article (front matter, taxonomy values, links) without indexing."""
    _, loaded, _ = _load()
    _report_problems(loaded)
    checked = len(loaded.articles) + len([path for path in loaded.rejected if path.endswith(".md")])
    click.echo(f"Checked {plural(checked, 'article')}: {plural(len(loaded.problems), 'problem')}")
    if loaded.problems:
        raise SystemExit(1)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _facet_options(command):
    for key in reversed(FACET_KEYS):
        command = click.option(f"--{key.replace('_', '-')}", key, multiple=True, help=f"Only articles with this {key} (repeatable).")(command)
    return command


@click.command("search")
@with_appcontext
@click.argument("query", nargs=-1)
@_facet_options
@click.option("--page", default=1, show_default=True)
@click.option("--per-page", default=10, show_default=True)
@click.option("--sort", default="relevance", show_default=True)
@click.option("--staff", is_flag=True, help="Include staff-only articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def search_command(query, page, per_page, sort, staff, as_json, **facets) -> None:
    """Search from a terminal."""
    params = {"q": [" ".join(query)], "page": [str(page)], "per_page": [str(per_page)], "sort": [sort]}
    params.update({key: list(values) for key, values in facets.items() if values})
    # Imported here: the search engine (NumPy) is only needed by this command.
    from kb.ranking import Ranking
    from kb.service import SearchService

    service = SearchService(current_app.config["INDEX_DIR"], Ranking.from_settings(current_app.config))
    try:
        engine = service.engine()
        request = parse_request(params, engine.taxonomy, Limits.from_settings(current_app.config))
        result = engine.search(request, STAFF if staff else PUBLIC)
    except KbError as exc:
        _fail(exc, 1)
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for notice in result["notices"]:
        click.echo(f"{notice['level'].upper()}: {notice['title']} {notice['text']}")
    if result["corrected"]:
        ran = "Showing results for" if result["hits"] else "Searched for"
        click.echo(f"{ran}: {result['corrected']}")
    if result["unmatched"]:
        click.echo(f"No article mentions {', '.join(result['unmatched'])}")
    click.echo(f"{plural(result['total'], 'result')} ({result['took_ms']} ms)")
    for number, hit in enumerate(result["hits"], start=(page - 1) * per_page + 1):
        click.echo(f"{number:>3}. {hit['title']}  [{hit['slug']}]  {hit['score']}")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the web app and API with gunicorn, building the index first if none exists."""
    from kb.server import port_in_use, run

    from kb.branding import branding_from_settings
    from kb.dictionary import english_words

    try:
        english_words()  # read now: a broken install says so here, not in every worker
        branding_from_settings(current_app.config)  # a bad name, logo or accent: said once, here
    except KbError as exc:
        _fail(exc)
    if port_in_use(host, port):
        _fail(KbError(f"{host}:{port} is already in use (another kb serve?); choose another port with --port, or `make serve PORT=8080`"), 1)
    if IndexStore(current_app.config["INDEX_DIR"]).current_name() is None:
        click.echo("No index yet: building it first.")
        try:
            click.echo(f"Indexed: {build_index().summary()}")
        except KbError as exc:
            _fail(exc)
    # The workers read it: canonical links and the sitemap name the address served on (kb/seo.py).
    if not current_app.config["PUBLIC_BASE_URL"]:
        os.environ["KB_PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    click.echo(f"Serving on http://{host}:{port} ({workers} workers)")
    run(host, port, workers)


@click.group("user")
def user_group() -> None:
    """Manage staff accounts (stored in the instance folder)."""


def _accounts() -> StaffAccounts:
    return StaffAccounts(current_app.config["INSTANCE_DIR"])


def _read_password() -> str:
    """Prompted twice on a terminal; otherwise the first line of standard input (for scripts)."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@user_group.command("add")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default=None,
              help="staff (read) or editor (also write articles in the browser); a new account is staff, a reset keeps the role.")
def user_add_command(name: str, role: str | None) -> None:
    """Create a staff account, or reset its password; the password is read from standard input."""
    try:
        created = _accounts().add(name, _read_password(), role)
    except KbError as exc:
        _fail(exc)
    folded = name.strip().casefold()
    done = "created" if created else "updated: password reset, old sessions signed out"
    click.echo(f"{_accounts().role(folded).capitalize()} account '{folded}' {done} in {current_app.config['INSTANCE_DIR']}")


@user_group.command("role")
@with_appcontext
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def user_role_command(name: str, role: str) -> None:
    """Make an account staff or editor; its open sessions take the new role at their next request."""
    try:
        _accounts().set_role(name, role)
    except KbError as exc:
        _fail(exc)
    click.echo(f"'{name.strip().casefold()}' is now {role}")


@user_group.command("remove")
@with_appcontext
@click.argument("name")
def user_remove_command(name: str) -> None:
    """Remove a staff account; its open sessions end at their next request."""
    try:
        removed = _accounts().remove(name)
    except KbError as exc:
        _fail(exc)
    if not removed:
        _fail(KbError(f"no staff account '{name}'"), 1)
    click.echo(f"Staff account '{name.strip().casefold()}' removed from {current_app.config['INSTANCE_DIR']}")


@user_group.command("list")
@with_appcontext
def user_list_command() -> None:
    """List the staff accounts and their roles."""
    accounts = _accounts()
    try:
        rows = [f"{name}\t{accounts.role(name)}" for name in accounts.names()]
    except KbError as exc:
        _fail(exc)
    click.echo("\n".join(rows) if rows else f"No staff accounts in {current_app.config['INSTANCE_DIR']} yet: add one with `kb user add NAME`")


COMMANDS = (index_command, check_command, search_command, serve_command, user_group, insights_command)


def register(app) -> None:
    """The commands on `app.cli` too, for `flask --app` and the tests' CLI runner."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _configured_app():
    from kb.config import configured_app

    return configured_app()


# A plain click group, not Flask's FlaskGroup: that one scans installed packages for plugin
# commands and builds the app just to find a command.
# Commands run in the configured app only (with_appcontext, from the ScriptInfo below): they need
# its settings, not the web app.
cli = click.Group(name="kb", commands=COMMANDS, help="The clinic knowledge base: index articles, check them, search and serve.")


def main() -> None:
    logging.basicConfig(level=os.environ.get("KB_LOG_LEVEL", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    cli.main(prog_name="kb", obj=ScriptInfo(create_app=_configured_app, set_debug_flag=False, load_dotenv_defaults=False))
