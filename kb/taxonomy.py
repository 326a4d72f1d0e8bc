"""The four facets, their values, labels and synonyms, general synonym groups, and the cost bands."""
from __future__ import annotations

import difflib
import hashlib
import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from kb.errors import ConfigError

log = logging.getLogger(__name__)

#: The facet keys of the public contract, in display order.
FACET_KEYS: tuple[str, ...] = ("scar_type", "procedure", "side_effect", "cost")
#: Facets whose values an article lists directly; `cost` is derived from a price range instead.
LISTED_FACETS: tuple[str, ...] = ("scar_type", "procedure", "side_effect")

#: General lay <-> clinical synonym groups shipped with the package (kb/medical_synonyms.yaml).
MEDICAL_SYNONYMS = "medical_synonyms.yaml"

#: A slug: lowercase words of letters and digits joined by '-'. Facet values and articles use it.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    synonyms: tuple[str, ...] = ()
    #: Cost bands only: inclusive lower and exclusive upper edge of the per-session price.
    low: float | None = None
    high: float | None = None

    def overlaps(self, price_min: float, price_max: float) -> bool:
        """True when the price range [price_min, price_max] touches this band."""
        low = self.low if self.low is not None else float("-inf")
        high = self.high if self.high is not None else float("inf")
        return price_max >= low and price_min < high


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    values: tuple[FacetValue, ...]

    def get(self, value: str) -> FacetValue | None:
        return next((v for v in self.values if v.value == value), None)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(v.value for v in self.values)


@dataclass(frozen=True)
class SynonymGroup:
    """Phrases that mean the same thing; all are indexed and searched as the one `canonical` token."""

    canonical: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    facets: dict[str, Facet]
    general_synonyms: tuple[SynonymGroup, ...] = ()
    currency: str = "USD"
    fingerprint: str = ""
    path: str = ""
    _groups: tuple[SynonymGroup, ...] = field(default=(), repr=False)

    def facet(self, key: str) -> Facet:
        return self.facets[key]

    def closest(self, key: str, value: str, n: int = 3) -> list[str]:
        """The valid values of facet `key` nearest to a mistyped `value`, best first."""
        slugs = list(self.facets[key].slugs)
        close = difflib.get_close_matches(value, slugs, n=n, cutoff=0.5)
        return close or slugs[:n]

    def cost_bands(self, price_min: float, price_max: float) -> list[str]:
        """Every cost band a per-session price range overlaps."""
        return [band.value for band in self.facets["cost"].values if band.overlaps(price_min, price_max)]

    def synonym_groups(self) -> tuple[SynonymGroup, ...]:
        """Facet values (slug, label, synonyms) and the general groups, as equivalence groups."""
        return self._groups

    def vocabulary(self) -> set[str]:
        """Every word the taxonomy knows, so spelling correction never 'corrects' a synonym."""
        words: set[str] = set()
        for group in self._groups:
            for phrase in group.phrases:
                words.update(re.findall(r"\w+", phrase.lower()))
        return words

    def label(self, key: str, value: str) -> str:
        found = self.facets[key].get(value)
        return found.label if found else value


def canonical_token(text: str) -> str:
    """The one token a synonym group is indexed as: 'ice-pick' -> 'icepick'."""
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and check the taxonomy file; any problem is a ConfigError naming the file."""
    path = Path(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the taxonomy file ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: the taxonomy is not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("facets"), dict):
        raise ConfigError(f"{path}: the taxonomy must be a mapping with a 'facets' mapping")
    builtin = medical_synonyms_text() if data.get("medical_synonyms", True) else ""
    # The fingerprint covers the built-in groups too: changing them rebuilds the index by itself.
    return _build(path, data, hashlib.sha256((raw_text + builtin).encode("utf-8")).hexdigest()[:16], builtin)


def medical_synonyms_text() -> str:
    return resources.files("kb").joinpath(MEDICAL_SYNONYMS).read_text(encoding="utf-8")


def _build(path: Path, data: dict, fingerprint: str, builtin: str = "") -> Taxonomy:
    facets_data = data["facets"]
    missing = [key for key in FACET_KEYS if key not in facets_data]
    unknown = [key for key in facets_data if key not in FACET_KEYS]
    if missing or unknown:
        raise ConfigError(f"{path}: facets must be exactly {', '.join(FACET_KEYS)} (missing {missing}, unknown {unknown})")
    facets: dict[str, Facet] = {}
    for key in FACET_KEYS:
        spec = facets_data[key] or {}
        entries = spec.get("bands" if key == "cost" else "values")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"{path}: facet '{key}' needs a non-empty list of {'bands' if key == 'cost' else 'values'}")
        values = tuple(_facet_value(path, key, entry) for entry in entries)
        slugs = [v.value for v in values]
        duplicates = {s for s in slugs if slugs.count(s) > 1}
        if duplicates:
            raise ConfigError(f"{path}: facet '{key}' repeats values {sorted(duplicates)}")
        facets[key] = Facet(key=key, label=str(spec.get("label") or key.replace("_", " ").capitalize()), values=values)
    _check_bands(path, facets["cost"])

    general = tuple(_general_group(path, entry) for entry in data.get("synonyms") or [])
    facet_groups = tuple(
        SynonymGroup(canonical_token(v.value), _unique([v.value.replace("-", " "), v.label, *v.synonyms]))
        for key in LISTED_FACETS
        for v in facets[key].values
    )
    groups = facet_groups + general
    _check_phrases_unique(path, groups)
    if builtin:
        groups += _builtin_groups(builtin, groups)
    currency = str(facets_data["cost"].get("currency") or "USD")
    return Taxonomy(facets, general, currency, fingerprint, str(path), groups)


def _facet_value(path: Path, key: str, entry: object) -> FacetValue:
    if not isinstance(entry, dict) or "value" not in entry:
        raise ConfigError(f"{path}: every entry of facet '{key}' must be a mapping with 'value' and 'label'")
    value = str(entry["value"])
    if not SLUG.match(value):
        raise ConfigError(f"{path}: facet '{key}' value '{value}' is not a slug (lowercase words joined by '-')")
    synonyms = entry.get("synonyms") or []
    if not isinstance(synonyms, list):
        raise ConfigError(f"{path}: synonyms of '{key}: {value}' must be a list")
    low, high = entry.get("min"), entry.get("max")
    for edge in (low, high):
        if edge is not None and not isinstance(edge, (int, float)):
            raise ConfigError(f"{path}: cost band '{value}' edges must be numbers")
    return FacetValue(value, str(entry.get("label") or value), tuple(str(s) for s in synonyms), low, high)


def _check_bands(path: Path, cost: Facet) -> None:
    previous_high: float | None = None
    for index, band in enumerate(cost.values):
        if band.low is not None and band.high is not None and band.low >= band.high:
            raise ConfigError(f"{path}: cost band '{band.value}' has min >= max")
        if index and band.low != previous_high:
            raise ConfigError(f"{path}: cost band '{band.value}' must start where the previous band ends ({previous_high})")
        previous_high = band.high


def _general_group(path: Path, entry: object) -> SynonymGroup:
    if not isinstance(entry, list) or len(entry) < 2:
        raise ConfigError(f"{path}: each entry of 'synonyms' must be a list of two or more phrases")
    phrases = _unique(str(p) for p in entry)
    return SynonymGroup(canonical_token(phrases[0]), phrases)


def _builtin_groups(text: str, own: tuple[SynonymGroup, ...]) -> tuple[SynonymGroup, ...]:
    """The built-in medical groups that share no phrase or canonical token with the taxonomy's own."""
    taken = {_phrase_key(p) for group in own for p in group.phrases} | {group.canonical for group in own}
    kept = []
    for entry in yaml.safe_load(text):
        group = _general_group(Path(MEDICAL_SYNONYMS), entry)
        keys = {_phrase_key(p) for p in group.phrases}
        if keys & taken or group.canonical in taken:
            continue
        taken |= keys | {group.canonical}
        kept.append(group)
    return tuple(kept)


def _phrase_key(phrase: str) -> str:
    return " ".join(re.findall(r"\w+", phrase.lower()))


def _check_phrases_unique(path: Path, groups: tuple[SynonymGroup, ...]) -> None:
    owner: dict[str, str] = {}
    for group in groups:
        for phrase in group.phrases:
            key = _phrase_key(phrase)
            if key in owner and owner[key] != group.canonical:
                raise ConfigError(f"{path}: synonym '{phrase}' belongs to both '{owner[key]}' and '{group.canonical}'")
            owner[key] = group.canonical


def _unique(items) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item.lower() not in (k.lower() for k in seen):
            seen[item] = None
    return tuple(seen)
