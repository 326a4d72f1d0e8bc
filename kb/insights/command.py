"""`kb insights`: the staff insights report in a terminal, for a cron job's e-mail."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from kb.errors import KbError
from kb.insights.export import searches_csv
from kb.insights.recorder import Recorder
from kb.insights.report import DEFAULT_DAYS, Report, build_report


@click.command("insights")
@with_appcontext
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(1, 3650), help="Days to report, ending today.")
@click.option("--csv", "as_csv", is_flag=True, help="Print one row per query as CSV (the page's searches.csv).")
def insights_command(days: int, as_csv: bool) -> None:
    """What patients searched for and did not find (public searches only)."""
    recorder = Recorder.from_settings(current_app.config)
    if not recorder.enabled:
        raise click.ClickException("insights are not recorded here (KB_ANALYTICS is false)")
    try:
        recorder.forget_old()
        report = build_report(recorder.store, days)
    except Exception as exc:  # the database is away or unreadable: one line, not a traceback
        message = exc.message if isinstance(exc, KbError) else str(exc).splitlines()[0]
        raise click.ClickException(f"the insights database cannot be read ({recorder.store.url_shown}): {message}") from exc
    finally:
        recorder.store.dispose()
    click.echo(searches_csv(report), nl=False) if as_csv else click.echo(text_report(report))


def text_report(report: Report) -> str:
    lines = [
        f"Search insights, {report.first_day.isoformat()} to {report.last_day.isoformat()} ({report.days} days)",
        f"Searches: {report.searches}; different queries: {len(report.queries)}; "
        f"with no results: {sum(row.zero_results for row in report.queries)}; click-through: {_percent(report.click_through)}",
    ]
    sections = (
        ("Words no article mentions", [f"{word} ({count})" for word, count in report.unmatched_words]),
        ("Top queries", [f"{row.query} ({row.searches}, clicks {row.clicks})" for row in report.top_queries]),
        ("Queries with no results", [f"{row.query} ({row.searches})" for row in report.no_results]),
        ("Queries with results but no click", [f"{row.query} ({row.searches})" for row in report.no_clicks]),
        ("Articles rated not helpful", [
            f"{row.slug}: {row.not_helpful} of {row.helpful + row.not_helpful}" for row in report.rated_articles if row.not_helpful
        ]),
    )
    for title, items in sections:
        lines += ["", f"{title}:"] + ([f"  {item}" for item in items] or ["  none"])
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "none yet" if share is None else f"{share * 100:.0f}%"
