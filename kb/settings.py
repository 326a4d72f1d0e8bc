"""Every setting of the service as (name, default, help); read by the app factory, documented in README."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ARTICLES_DIR", "articles", "Folder of Markdown articles to index."),
    Setting("INDEX_DIR", "index", "Folder holding the built Whoosh index versions."),
    Setting(
        "INSTANCE_DIR",
        "instance",
        "Folder for what the service writes: staff accounts, the secret key, instance config (kb.cfg).",
    ),
    Setting(
        "TAXONOMY_FILE",
        "",
        "Taxonomy YAML file (facets, values, synonyms, cost bands); empty means taxonomy.yaml in ARTICLES_DIR.",
    ),
    Setting(
        "RULES_FILE",
        "",
        "Query rules YAML file (notices for urgent symptoms, pinned articles); empty means rules.yaml in ARTICLES_DIR.",
    ),
    Setting(
        "CORS_ORIGINS",
        "",
        "Comma-separated origins allowed to call the public API from a browser; empty allows none.",
    ),
    Setting("SITE_NAME", "Clinic knowledge base", "The clinic's name for its knowledge base: the pages' header and titles."),
    Setting("SITE_LOGO", "", "An image file (SVG, PNG, WebP or JPEG, at most 512 KB) shown beside the name in the pages' header; empty for none."),
    Setting(
        "ACCENT_COLOUR",
        "#0b5cad",
        "The clinic's colour for links, buttons and the focus ring on the pages, and the widget's default accent; at least 4.5:1 contrast on white.",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "",
        "The site's public address (https://kb.clinic.example) for canonical links, shared-link tags and the sitemap; never taken from a request header. `kb serve` sets it to the address it serves on when empty.",
    ),
    Setting("ARTICLE_MAX_KB", 256, "Largest article body the browser editor saves, in kilobytes; a larger one answers 413."),
    Setting("MAX_QUERY_LENGTH", 200, "Longest accepted query text in characters; longer answers 413."),
    Setting("MAX_PAGE", 100, "Highest page number accepted, to bound deep-paging cost."),
    Setting("ANSWER_CACHE_SIZE", 4096, "Public API answers kept in memory per worker for the current index version; 0 turns the cache off."),
    Setting("ANSWER_CACHE_MB", 32, "Memory the kept public API answers may take per worker, in megabytes (answers and their keys together)."),
    Setting("API_CACHE_SECONDS", 60, "max-age of Cache-Control on public API answers (CDN and browser caching)."),
    # Ranking: chosen on the NFCorpus dev split and the clinic's judged questions (docs/benchmarks.md).
    Setting(
        "RANK_MODEL",
        "bm25f",
        "How fields combine: 'bm25f' (a word's weighted frequencies in every field saturate once) or 'per-field' (each field's BM25 score, weighted, summed: Whoosh's BM25F).",
    ),
    Setting(
        "RANK_FIELD_WEIGHTS",
        "title=4,summary=1.5,headings=1.5,tags=1.5,body=1",
        "Query-time weight of each text field, as NAME=WEIGHT for title, summary, headings, tags and body.",
    ),
    Setting("RANK_K1", 3.0, "BM25 term-frequency saturation: higher lets repeated words count for longer."),
    Setting("RANK_B", 0.75, "BM25 length normalisation, 0 (none) to 1 (full)."),
    Setting("RANK_IDF", "probabilistic", "Word rarity: 'probabilistic' (BM25's, as Lucene) or 'whoosh' (Whoosh's, with a floor)."),
    Setting(
        "RANK_COORDINATION",
        0.3,
        "Share of a score that depends on matching all the query's words: 0 (none) to 1 (score x matched/words).",
    ),
    Setting(
        "RANK_QUESTION_WORD_WEIGHT",
        0.5,
        "Weight of question words (what, how, does...) in a query that has other words, 0 to 1.",
    ),
    Setting(
        "API_RATE_LIMIT",
        "20 per second;600 per minute",
        "Requests one client address may make to the public API (limits syntax); more answer 429 with Retry-After.",
    ),
    Setting("SIGN_IN_LIMIT_PER_ADDRESS", "20 per hour", "Refused staff sign-ins one client address may make."),
    Setting(
        "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
        "5 per 15 minutes",
        "Refused sign-ins to one staff name from one client address; past it, that address waits, the account's owner elsewhere does not.",
    ),
    Setting(
        "SIGN_IN_LIMIT_PER_ACCOUNT",
        "10 per minute",
        "Refused sign-ins to one staff name from all addresses together: past it, new browsers wait up to the window (429 with Retry-After); a browser that signed in to the name before does not.",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where request counts are kept: memory:// (per worker) or a shared store such as redis://host:6379 for several nodes.",
    ),
    Setting("RATELIMIT_ENABLED", True, "Turn request rate limits off (load tests only)."),
    Setting("PROXY_COUNT", 0, "Proxies (load balancer, CDN) in front of the service whose X-Forwarded-For is trusted."),
    Setting("ANALYTICS", True, "Record public searches, clicks and feedback for the staff insights page (nothing that identifies a person)."),
    Setting(
        "ANALYTICS_DATABASE_URL",
        "",
        "Where insights are recorded: any SQLAlchemy URL (postgresql+psycopg://... when several nodes share one record); empty means insights.sqlite3 in the instance folder.",
    ),
    Setting("ANALYTICS_DAYS", 90, "Recorded searches, clicks and feedback older than this many days are deleted."),
    Setting(
        "ANALYTICS_PHONE_REGIONS",
        "GB,US",
        "Comma-separated regions (ISO 3166 codes) whose national phone numbers are scrubbed from recorded queries; international forms are scrubbed whatever the region.",
    ),
    Setting("ANALYTICS_FLUSH_SECONDS", 2.0, "How often each worker writes its queued insights events to the database."),
    Setting("SESSION_HOURS", 12, "How long a staff sign-in lasts, in hours (a clinic day)."),
    Setting(
        "SESSION_STORE_URI",
        "",
        "Where signed-out staff sessions are recorded, so that no worker or node accepts them again: empty means the instance folder, or redis://host:6379 for nodes that do not share one.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the staff session cookie over HTTPS only; turn on whenever the service is behind TLS.",
    ),
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


def split_origins(value: str | list[str] | None) -> list[str]:
    """Turn the CORS_ORIGINS setting (comma list or list) into a clean list of origins."""
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip().rstrip("/") for item in items if item.strip()]
