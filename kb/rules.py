"""Query rules: notices the clinic attaches to searches (urgent symptoms first) and pinned articles.

The rules file (`articles/rules.yaml`, beside the taxonomy) lists rules like

    rules:
      - match: [trouble breathing, swollen throat]
        notice: {level: emergency, title: "...", text: "...", slug: infection-and-allergic-reactions}
      - match: [price list]
        pin: cost-of-microneedling

A rule matches a query that contains any of its phrases after the query's own analysis
(stemming, synonyms, stop words), so "breathing trouble" does not match "trouble breathing" but
"troubled breathing" does. `kb check` and `kb index` report a bad rule with its file and line;
the other rules still apply.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from kb.analysis import QueryAnalyzer, text_analyzer
from kb.articles import Problem
from kb.taxonomy import SLUG, Taxonomy

#: Notice levels, most urgent first: `emergency` and `urgent` are for symptoms that need care now.
LEVELS = ("emergency", "urgent", "info")
RULE_KEYS, NOTICE_KEYS = ("match", "notice", "pin"), ("level", "title", "text", "slug")


@dataclass(frozen=True)
class Notice:
    level: str
    title: str
    text: str
    slug: str | None = None

    def to_dict(self, slug_visible: bool = True) -> dict:
        return {"level": self.level, "title": self.title, "text": self.text, "slug": self.slug if slug_visible else None}


@dataclass(frozen=True)
class Rule:
    phrases: tuple[str, ...]
    notice: Notice | None = None
    pin: str | None = None
    line: int = 1


@dataclass(frozen=True)
class RuleSet:
    """Rules that passed every check, the problems of those that did not, and the file they came from."""

    rules: tuple[Rule, ...] = ()
    problems: tuple[Problem, ...] = ()
    #: Changes whenever the file does: a changed rules file makes `kb index` publish a new version.
    fingerprint: str = ""
    text: str = ""

    def published(self) -> str:
        """The valid rules as a rules file: what an index version serves (never a rejected rule)."""
        if not self.rules:
            return ""
        return yaml.safe_dump({"rules": [_as_data(rule) for rule in self.rules]}, allow_unicode=True, sort_keys=False)


def _as_data(rule: Rule) -> dict:
    data: dict = {"match": list(rule.phrases)}
    if rule.notice is not None:
        data["notice"] = {"level": rule.notice.level, "title": rule.notice.title, "text": rule.notice.text}
        if rule.notice.slug:
            data["notice"]["slug"] = rule.notice.slug
    if rule.pin:
        data["pin"] = rule.pin
    return data


def load_rules(path: str | Path, known_slugs: Iterable[str] | None = None) -> RuleSet:
    """The valid rules of the file and a Problem (file, line) for each invalid one; a missing file has no rules."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RuleSet()
    except (OSError, UnicodeDecodeError) as exc:
        return RuleSet(problems=(Problem(str(path), 1, f"cannot read the rules file ({exc})"),))
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return RuleSet(problems=(Problem(str(path), line, f"the rules file is not valid YAML ({getattr(exc, 'problem', exc)})"),), fingerprint=fingerprint, text=text)
    entries = _rule_nodes(root)
    if entries is None:
        return RuleSet(problems=(Problem(str(path), 1, "the rules file must be a mapping with a 'rules' list"),), fingerprint=fingerprint, text=text)
    slugs = set(known_slugs) if known_slugs is not None else None
    rules, problems = [], []
    for node in entries:
        rule, found = _rule(node, slugs)
        problems += [Problem(str(path), line, message) for line, message in found]
        if rule is not None and not found:
            rules.append(rule)
    return RuleSet(tuple(rules), tuple(problems), fingerprint, text)


def _rule_nodes(root: yaml.Node | None) -> list[yaml.Node] | None:
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "rules":
            return value.value if isinstance(value, yaml.SequenceNode) else None
    return None


def _rule(node: yaml.Node, slugs: set[str] | None) -> tuple[Rule | None, list[tuple[int, str]]]:
    """One rule from its YAML node, and the (line, message) of each problem in it."""
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        return None, [(line, "a rule must be a mapping with 'match' and a 'notice' or a 'pin'")]
    data = yaml.SafeLoader(yaml.serialize(node)).get_single_data()
    lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    problems = [(lines.get(key, line), f"unknown rule key '{key}'; known: {', '.join(RULE_KEYS)}") for key in data if key not in RULE_KEYS]
    phrases = data.get("match")
    if isinstance(phrases, str):
        phrases = [phrases]
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
        problems.append((lines.get("match", line), "'match' must be a non-empty list of words or phrases"))
        phrases = []
    if "notice" not in data and "pin" not in data:
        problems.append((line, "a rule needs a 'notice', a 'pin' or both"))
    notice = _notice(data.get("notice"), lines.get("notice", line), slugs, problems) if "notice" in data else None
    pin = data.get("pin")
    if pin is not None and not _known_slug(pin, slugs):
        problems.append((lines.get("pin", line), f"pin: no article '{pin}'"))
    return Rule(tuple(p.strip() for p in phrases), notice, pin, line), problems


def _notice(data, line: int, slugs: set[str] | None, problems: list[tuple[int, str]]) -> Notice | None:
    if not isinstance(data, dict):
        problems.append((line, "'notice' must be a mapping with level, title and text"))
        return None
    for key in data:
        if key not in NOTICE_KEYS:
            problems.append((line, f"unknown notice key '{key}'; known: {', '.join(NOTICE_KEYS)}"))
    level = data.get("level")
    if level not in LEVELS:
        problems.append((line, f"notice level must be one of {', '.join(LEVELS)}, not {level!r}"))
    for key in ("title", "text"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append((line, f"notice {key} must not be empty"))
    slug = data.get("slug")
    if slug is not None and not _known_slug(slug, slugs):
        problems.append((line, f"notice slug: no article '{slug}'"))
    return Notice(str(level), " ".join(str(data.get("title", "")).split()), " ".join(str(data.get("text", "")).split()), slug)


def _known_slug(slug, slugs: set[str] | None) -> bool:
    return isinstance(slug, str) and bool(SLUG.match(slug)) and (slugs is None or slug in slugs)


class RuleMatcher:
    """The rules of one index version, each phrase analyzed as queries are."""

    def __init__(self, rules: Iterable[Rule], analyze: Callable[[str], list[str]]):
        self._rules: list[tuple[Rule, list[tuple[str, ...]]]] = []
        for rule in rules:
            phrases = [tuple(analyze(phrase)) for phrase in rule.phrases]
            self._rules.append((rule, [phrase for phrase in phrases if phrase]))

    def matching(self, terms: list[str]) -> list[Rule]:
        """The rules with a phrase whose terms stand together, in order, in the query's `terms`."""
        return [rule for rule, phrases in self._rules if any(_contains(terms, phrase) for phrase in phrases)]

    def notices(self, terms: list[str]) -> list[Notice]:
        """The matching rules' notices, most urgent first (the file's order within a level), each once."""
        found = list(dict.fromkeys(rule.notice for rule in self.matching(terms) if rule.notice is not None))
        return sorted(found, key=lambda notice: LEVELS.index(notice.level))

    def pins(self, terms: list[str]) -> list[str]:
        return list(dict.fromkeys(rule.pin for rule in self.matching(terms) if rule.pin))


def check_rules(path: str | Path, taxonomy: Taxonomy, known_slugs: Iterable[str]) -> RuleSet:
    """The rules file as `kb check` and `kb index` read it: every rule checked against the articles'
    slugs, and every phrase against the analyzer (one of stop words alone could never match)."""
    rules = load_rules(path, known_slugs)
    analyze = QueryAnalyzer(text_analyzer(taxonomy))
    problems = [
        Problem(str(path), rule.line, f"match phrase '{phrase}' has only stop words and can never match")
        for rule in rules.rules
        for phrase in rule.phrases
        if not analyze(phrase)
    ]
    bad_lines = {problem.line for problem in problems}
    return RuleSet(
        tuple(rule for rule in rules.rules if rule.line not in bad_lines), rules.problems + tuple(problems), rules.fingerprint, rules.text
    )


def _contains(terms: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(terms[start:start + size]) == phrase for start in range(len(terms) - size + 1))
