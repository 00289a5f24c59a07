"""Rule sets for collection conduct, read from `logger/conduct/rules/<id>.toml` (one file per
jurisdiction; the format is described at the top of cn.toml).

Files are checked when first read: an unknown key, check or parameter, a parameter of the wrong
type, a lexicon category that does not exist or that two rules of one set both claim raises
RuleSetError naming the file and the rule, so a mistake in the data shows as a message rather
than as silently missing (or doubled) findings.

Each rule names its legal sources (`LegalSource`: the document and the provision, each in zh and
en, and whether the provision was checked against a published text of the document); the first
is the rule's own, `also` lists further ones. Every finding carries its rule's sources.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from importlib.resources import files
from typing import Any

from logger.conduct.lexicon import categories as lexicon_categories
from logger.errors import LiuhenError
from storage.models import Channel

LANGUAGES = ("zh", "en")
# The rule set for a time zone that no rule set claims: most users are in China.
FALLBACK_RULE_SET = "cn"

# Each check and its parameters with their types; every parameter is required.
CHECK_PARAMS: dict[str, dict[str, type]] = {
    "quiet_hours": {"allowed_from": time, "allowed_until": time, "until_inclusive": bool,
                    "channels": list},
    "unanswered_per_day": {"limit": int},
    "attempts_in_window": {"limit": int, "days": int},
    # A contact recorded with a third party, and words of these categories (a collector heard
    # speaking to someone else about the debt: a suggestion until a person confirms it).
    "third_party": {"categories": list},
    "lexicon": {"categories": list},
}
SOURCE_KEYS = {"document", "article", "verified", "url"}


class RuleSetError(LiuhenError):
    """A rule set file is malformed, or a rule set or rule id does not exist."""


@dataclass(frozen=True)
class LegalSource:
    """Where a rule comes from: the `document` and the provision in it (`article`: an article,
    a section, or the subject where the number is not known), each {"zh": ..., "en": ...}.
    `verified`: the provision was checked against a published text of the document (`url`
    says where); False when only secondary sources (press summaries) were found."""

    document: dict[str, str] = field(hash=False)
    article: dict[str, str] = field(hash=False)
    verified: bool = False
    url: str | None = None

    def cite(self, language: str) -> str:
        """"document, provision" in `language` ("zh" or "en")."""
        language = language if language in LANGUAGES else "zh"
        separator = "，" if language == "zh" else ", "
        return f"{self.document[language]}{separator}{self.article[language]}"

    def as_dict(self) -> dict:
        return {"document": dict(self.document), "article": dict(self.article),
                "verified": self.verified, "url": self.url}


@dataclass(frozen=True)
class Rule:
    """One rule: `params` are as written in the file (JSON-safe), already checked; `sources`
    its legal sources, its own first."""

    id: str
    check: str
    description: dict[str, str] = field(hash=False)
    sources: tuple[LegalSource, ...] = field(hash=False)
    params: dict[str, Any] = field(hash=False)

    @property
    def source(self) -> LegalSource:
        return self.sources[0]

    @property
    def source_document(self) -> str:
        """The rule's own document, in English (the CLI's one-line listing)."""
        return self.source.document["en"]

    @property
    def source_article(self) -> str:
        return self.source.article["en"]

    @property
    def categories(self) -> tuple[str, ...]:
        """The lexicon categories whose words this rule reads (none for most checks)."""
        return tuple(self.params.get("categories", ()))

    def cite(self, language: str) -> str:
        """Every source of the rule in `language`, its own first ("；" / "; " between them)."""
        return ("；" if language == "zh" else "; ").join(source.cite(language)
                                                        for source in self.sources)

    def param_time(self, name: str) -> time:
        return time.fromisoformat(self.params[name])

    def as_dict(self) -> dict:
        return {"id": self.id, "check": self.check, "description": dict(self.description),
                "source": self.source.as_dict(),
                "also": [source.as_dict() for source in self.sources[1:]],
                "params": dict(self.params)}


@dataclass(frozen=True)
class RuleSet:
    id: str
    name: dict[str, str] = field(hash=False)
    timezones: tuple[str, ...]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise RuleSetError(f"the rule set “{self.id}” has no rule “{rule_id}” (its rules: "
                           f"{', '.join(r.id for r in self.rules)})")

    def covers(self, zone_name: str) -> bool:
        return any(fnmatch.fnmatchcase(zone_name, pattern) for pattern in self.timezones)

    def category_rules(self) -> dict[str, Rule]:
        """Lexicon category -> the one rule of this set that reads it."""
        return {category: rule for rule in self.rules for category in rule.categories}


@cache
def rule_sets() -> dict[str, RuleSet]:
    """Every rule set shipped with Liuhen, by id."""
    folder = files("logger.conduct") / "rules"
    found: dict[str, RuleSet] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and not entry.name.startswith("lexicon_"):
            rule_set = parse_rule_set(entry.name, entry.read_bytes())
            found[rule_set.id] = rule_set
    return found


def get_rule_set(rule_set_id: str) -> RuleSet:
    try:
        return rule_sets()[rule_set_id]
    except KeyError:
        raise RuleSetError(f"there is no rule set “{rule_set_id}” (known: "
                           f"{', '.join(sorted(rule_sets()))})") from None


def default_rule_set(zone_name: str) -> RuleSet:
    """The rule set whose `timezones` cover the zone, else the fallback (China)."""
    for rule_set in rule_sets().values():
        if rule_set.covers(zone_name):
            return rule_set
    return rule_sets()[FALLBACK_RULE_SET]


def parse_rule_set(filename: str, data: bytes) -> RuleSet:
    """One rule set file's content, checked (RuleSetError naming the file and rule)."""
    where = f"conduct rule file {filename}"
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RuleSetError(f"{where} is not valid UTF-8 TOML: {e}") from None
    _only_keys(raw, {"id", "name", "timezones", "rule"}, where)
    rule_set_id = _text(raw, "id", where)
    if filename != f"{rule_set_id}.toml":
        raise RuleSetError(f"{where}: its id “{rule_set_id}” must match the file name")
    rules = tuple(_rule(entry, f"{where}, rule #{n}") for n, entry in
                  enumerate(raw.get("rule", []), 1))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids) or not rules:
        raise RuleSetError(f"{where}: rule ids must be unique and there must be at least one")
    _one_rule_per_category(rules, where)
    timezones = raw.get("timezones", [])
    if not isinstance(timezones, list) or not all(isinstance(z, str) for z in timezones):
        raise RuleSetError(f"{where}: `timezones` must be a list of zone names or patterns")
    return RuleSet(id=rule_set_id, name=_languages(raw, "name", where), timezones=tuple(timezones),
                   rules=rules)


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise RuleSetError(f"{where} must be a table")
    _only_keys(raw, {"id", "check", "description", "source", "also", "params"}, where)
    rule_id = _text(raw, "id", where)
    where = f"{where.rsplit(',', 1)[0]}, rule {rule_id}"
    check = _text(raw, "check", where)
    if check not in CHECK_PARAMS:
        raise RuleSetError(f"{where}: unknown check “{check}” (known: "
                           f"{', '.join(CHECK_PARAMS)})")
    also = raw.get("also", [])
    if not isinstance(also, list):
        raise RuleSetError(f"{where}: `also` must be a list of sources ([[rule.also]])")
    sources = (_source(raw.get("source"), f"{where}, source"),
               *(_source(entry, f"{where}, also #{n}") for n, entry in enumerate(also, 1)))
    params = raw.get("params", {})
    _check_params(check, params, where)
    return Rule(id=rule_id, check=check, description=_languages(raw, "description", where),
                sources=sources, params=params)


def _source(raw: Any, where: str) -> LegalSource:
    """A legal source: `document` and `article` in zh and en, `verified`, an optional `url`."""
    if not isinstance(raw, dict):
        raise RuleSetError(f"{where}: `document`, `article` (each in zh and en) and "
                           "`verified` are needed")
    _only_keys(raw, SOURCE_KEYS, where)
    verified, url = raw.get("verified"), raw.get("url")
    if not isinstance(verified, bool):
        raise RuleSetError(f"{where}: `verified` must be true or false (was the provision "
                           "checked against a published text of the document?)")
    if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        raise RuleSetError(f"{where}: `url` must be a web address")
    if verified and url is None:
        raise RuleSetError(f"{where}: a verified source names the `url` it was checked at")
    return LegalSource(document=_languages(raw, "document", where),
                       article=_languages(raw, "article", where), verified=verified, url=url)


def _one_rule_per_category(rules: tuple[Rule, ...], where: str) -> None:
    """Each lexicon category belongs to one rule of a set, so a sentence gives one finding."""
    owner: dict[str, str] = {}
    for rule in rules:
        for category in rule.categories:
            if category in owner:
                raise RuleSetError(f"{where}: the category “{category}” is read by two rules, "
                                   f"{owner[category]} and {rule.id}; give it to one")
            owner[category] = rule.id


def _check_params(check: str, params: Any, where: str) -> None:
    expected = CHECK_PARAMS[check]
    if not isinstance(params, dict) or set(params) != set(expected):
        got = ", ".join(sorted(params)) if isinstance(params, dict) else "none"
        raise RuleSetError(f"{where}: the check “{check}” takes exactly these params: "
                           f"{', '.join(expected) or 'none'} (got {got or 'none'})")
    for name, kind in expected.items():
        value = params[name]
        if kind is time:
            ok = isinstance(value, str) and _is_clock_time(value)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise RuleSetError(f"{where}: `params.{name}` must be "
                               f"{_KIND_WORDS[kind]}, got {value!r}")
    if "channels" in expected:
        _check_names(params["channels"], {c.value for c in Channel}, "channels", where)
    if "categories" in expected:
        _check_names(params["categories"], lexicon_categories(), "categories", where)


_KIND_WORDS = {time: "a time like \"22:00\"", int: "a whole number of at least 1",
               bool: "true or false", list: "a list"}


def _is_clock_time(value: str) -> bool:
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 5


def _check_names(values: list, known: set[str] | frozenset[str], key: str, where: str) -> None:
    unknown = [v for v in values if not isinstance(v, str) or v not in known]
    if unknown or not values:
        raise RuleSetError(f"{where}: `params.{key}` has unknown or no entries {unknown} "
                           f"(known: {', '.join(sorted(known))})")


def _only_keys(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RuleSetError(f"{where}: unknown key(s) {', '.join(unknown)} "
                           f"(known: {', '.join(sorted(allowed))})")


def _text(raw: dict, key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleSetError(f"{where}: `{key}` must be a non-empty text")
    return value


def _languages(raw: dict, key: str, where: str) -> dict[str, str]:
    value = raw.get(key)
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise RuleSetError(f"{where}: `{key}` needs exactly {' and '.join(LANGUAGES)}")
    return {lang: _text(value, lang, f"{where}, {key}") for lang in LANGUAGES}
