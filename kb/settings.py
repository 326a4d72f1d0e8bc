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
        "CORS_ORIGINS",
        "",
        "Comma-separated origins allowed to call the public API from a browser; empty allows none.",
    ),
    Setting("MAX_QUERY_LENGTH", 200, "Longest accepted query text in characters; longer answers 413."),
    Setting("MAX_PAGE", 100, "Highest page number accepted, to bound deep-paging cost."),
    Setting("API_CACHE_SECONDS", 60, "max-age of Cache-Control on public API answers (CDN and browser caching)."),
    Setting("SESSION_HOURS", 12, "How long a staff sign-in lasts, in hours (a clinic day)."),
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
