"""Messages in the reader's language: English, as written in the code, or Chinese from one gettext
catalogue (``locale/zh/LC_MESSAGES/marketing_rules.po``, read with Babel).

The language is chosen, first match wins, by ``lang=`` in Python (:func:`messages_in`), ``--lang`` on
the command line, then the ``MARKETING_RULES_LANG`` variable; English otherwise. A message is put in
the language in force when it is made, so a diagnostic keeps the language of the load that found it.
Rule ids, facts and values stay as written: only the words around them are translated.

    >>> from marketing_rules.i18n import _, messages_in
    >>> with messages_in("zh"):
    ...     _("{count} customers in", count=3) != "3 customers in"
    True

The catalogue is kept with ``python -m marketing_rules.i18n.catalogue`` (docs/i18n.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from unicodedata import east_asian_width

LANGUAGES = ("en", "zh")
DOMAIN = "marketing_rules"
LOCALE = Path(__file__).parent / "locale"
ENVIRONMENT = "MARKETING_RULES_LANG"

_chosen: ContextVar[str | None] = ContextVar("marketing_rules_lang", default=None)


def normalise(lang: str) -> str:
    """``zh``, ``zh_CN``, ``zh-Hans``, ``ZH`` are Chinese; ``en``, ``en_US`` English; anything else
    is refused with the languages there are."""
    base = lang.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    if base not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return base


def language() -> str:
    """The language messages are made in now."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    try:
        return normalise(os.environ.get(ENVIRONMENT) or "en")
    except ValueError:
        return "en"


def set_language(lang: str | None) -> None:
    """Choose the language for this thread or task from now on (None: back to the environment)."""
    _chosen.set(None if lang is None else normalise(lang))


@contextmanager
def messages_in(lang: str | None) -> Iterator[str]:
    """Make messages in ``lang`` inside the block (None keeps the language in force)."""
    if lang is None:
        yield language()
        return
    token = _chosen.set(normalise(lang))
    try:
        yield language()
    finally:
        _chosen.reset(token)


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English is the messages as written)."""
    if lang == "en":
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalogue = read_po(po, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _(message: str, /, **values: object) -> str:
    """``message`` in the language in force, its ``{name}`` fields filled from ``values``."""
    text = translations(language()).gettext(message)
    return text.format(**values) if values else text


def n_(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The singular or plural form for ``count`` (filled as ``{count}``) in the language in force."""
    text = translations(language()).ngettext(singular, plural, count)
    return text.format(count=count, **values)


def N_(message: str, /) -> str:
    """Marks a message for the catalogue where it is defined; ``_`` translates it where it is shown."""
    return message


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` columns of a terminal, where a Chinese character takes two."""
    room = " " * max(width - sum(2 if east_asian_width(c) in "WF" else 1 for c in text), 0)
    return room + text if right else text + room
