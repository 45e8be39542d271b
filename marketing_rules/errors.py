"""Diagnostics and the exceptions that carry them.

Every mistake a rule author can make becomes a :class:`Diagnostic` with a stable code, the place
in the file, the rule it concerns and a hint. One load collects them all and raises a single
:class:`RulesetError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import get_close_matches

from marketing_rules.i18n import N_, _, language, messages_in, n_

#: Stable diagnostic codes and their one-line meaning (docs/errors.md explains each), in English;
#: ``_(CODES[code])`` in the language in force.
CODES: dict[str, str] = {
    "MR001": N_("the YAML is malformed"),
    "MR002": N_("a YAML tag that would build a Python object"),
    "MR003": N_("a key appears twice in one mapping"),
    "MR004": N_("the YAML nests too deep or its aliases expand too much"),
    "MR005": N_("the file is not UTF-8 text"),
    "MR010": N_("a part of the rule file has the wrong shape"),
    "MR011": N_("a value is not valid for its field"),
    "MR012": N_("the file cannot be read"),
    "MR013": N_("a number that is not finite or too large"),
    "MR014": N_("an included definitions file cannot be read"),
    "MR015": N_("a shared definition is defined twice"),
    "MR101": N_("unknown name"),
    "MR102": N_("unknown function"),
    "MR103": N_("type error"),
    "MR104": N_("unknown enum value"),
    "MR105": N_("expression syntax error"),
    "MR106": N_("wrong number of arguments"),
    "MR107": N_("comparison with null"),
    "MR108": N_("an expression nests too deep or is too long"),
    "MR109": N_("a literal too large"),
    "MR110": N_("round() digits out of range"),
    "MR201": N_("a cycle between facts"),
    "MR202": N_("a fact set by rules outside one group or table"),
    "MR203": N_("a rule sets a fact that is not declared"),
    "MR204": N_("unknown package"),
    "MR205": N_("unknown service"),
    "MR206": N_("duplicate id"),
    "MR207": N_("bad access matrix"),
    "MR208": N_("a declared fact collides with a schema fact"),
    "MR209": N_("unknown schema"),
    "MR210": N_("a consistency check names something that does not exist"),
    "MR211": N_("a catalogue code that does not follow the code scheme"),
    "MR212": N_("an offer that gives a service only to tiers the access matrix denies it"),
    "MR301": N_("bad unary test in a decision table"),
    "MR302": N_("a table row has the wrong number of cells"),
    "MR303": N_("bad hit policy use"),
    "MR401": N_("a file name disagrees with its version"),
    "MR402": N_("a folder name disagrees with its ruleset id"),
    "MR403": N_("two files hold one version"),
    "MR404": N_("a released version has changed"),
    "MR405": N_("a released version is missing"),
    "MR406": N_("the lock file is malformed"),
    "MR501": N_("a scenario file is malformed"),
    "MR601": N_("unknown event type"),
    "MR602": N_("an event attribute or bound name clashes with another name"),
    "MR603": N_("a bad time window"),
    "MR604": N_("a trigger recommends something that is not an offer"),
    "MR605": N_("unknown points state"),
    "MR606": N_("unknown event attribute"),
    "MR701": N_("a hold-out share that is not between 0 and 100%"),
    "MR702": N_("a reward without a cost under a cost budget"),
    "MR703": N_("a campaign score that is not a number"),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a rule file, with where it is and what to do about it."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    rule: str | None = None
    hint: str | None = None
    length: int = 1  # how many characters the caret underlines
    source_line: str | None = None
    lang: str = field(default_factory=language, repr=False, compare=False)  # the language of its words

    def location(self) -> str:
        parts = [self.file or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        """The diagnostic as a compiler would print it, with a caret under the offending text."""
        with messages_in(self.lang):
            return self._text()

    def _text(self) -> str:
        where = _("rule '{rule}': ", rule=self.rule) if self.rule else ""
        text = f"{self.location()}: {self.code} {where}{self.message}"
        if self.hint:
            text += _("; ") + self.hint
        if self.source_line is not None and self.column is not None:
            indent = " " * (self.column - 1)
            text += f"\n    {self.source_line}\n    {indent}{'^' * max(1, self.length)}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "hint": self.hint,
        }


class RulesetError(Exception):
    """A ruleset failed to load; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        self.lang = language()
        super().__init__(self.render())

    def render(self) -> str:
        with messages_in(self.lang):
            head = n_("{count} error in ruleset", "{count} errors in ruleset", len(self.diagnostics))
        return head + "\n" + "\n".join(d.render() for d in self.diagnostics)

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]


def shown(value: object) -> str:
    """A rejected value as the reason shows it, alike on every backend: text as written, booleans
    as true/false, floats as Python prints them, decimals in positional notation."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def fact_reason(field: str, message: str, value: object) -> str:
    """``field: reason (got value)``; a missing value shows no value."""
    return f"{field}: {message}" if value is None else f"{field}: {message} (got {shown(value)})"


class FactsError(ValueError):
    """Customer facts that fail validation; ``errors`` names each field, value and reason. Its text is
    the row's ``error`` in a batch, on every backend."""

    def __init__(self, errors: Sequence[dict[str, object]]):
        self.errors = tuple(errors)
        super().__init__("; ".join(fact_reason(str(e["field"]), str(e["message"]), e["value"]) for e in self.errors))


class EventError(ValueError):
    """An event that fails validation; ``errors`` names each field, value and reason."""

    def __init__(self, errors: Sequence[dict[str, object]]):
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e['field']}: {e['message']} (got {e['value']!r})" for e in self.errors))


class LateEventError(EventError):
    """An event older than the stream's watermark: the windows it could have joined are closed."""


class EvaluationError(RuntimeError):
    """A customer could not be decided (for example two rows of a `unique` table matched)."""

    def __init__(self, message: str, *, rule: str | None = None):
        self.rule = rule
        super().__init__(message)


class Unsupported(NotImplementedError):
    """A node of the rule language that a backend cannot express, raised when the backend compiles it
    (never a silently wrong or unconstrained result). ``backend`` and ``node`` (the AST node's class
    name) say which; ``reason`` is what cannot be expressed, ``span`` where in the expression's text."""

    def __init__(self, backend: str, reason: str, node: str | None = None, span: tuple[int, int] | None = None,
                 text: str | None = None):
        self.backend = backend
        self.reason = reason
        self.node = node
        self.span = span
        where = ""
        if span is not None and text:
            where = f" (column {span[0] + 1} of `{text}`: `{text[span[0]:span[1]]}`)"
        super().__init__(f"the {backend} backend cannot compile {reason}{where}")


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelt name, or None when nothing is close."""
    close = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _("did you mean '{name}'?", name=close[0]) if close else None


@dataclass
class DiagnosticSink:
    """Collects diagnostics during a load so that every error is reported at once."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def raise_if_any(self) -> None:
        if self.diagnostics:
            ordered = sorted(self.diagnostics, key=lambda d: (d.line or 0, d.column or 0))
            raise RulesetError(ordered)
