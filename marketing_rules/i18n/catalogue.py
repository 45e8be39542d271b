"""Keep the message catalogue in step with the code (Babel's extract and update).

    python -m marketing_rules.i18n.catalogue           # extract, update the .po, list what is missing
    python -m marketing_rules.i18n.catalogue --check   # only list; exit 1 when a message lacks a translation

Messages are the first argument of ``_`` and ``N_`` and the two first of ``n_``
(:mod:`marketing_rules.i18n`). A message the code no longer uses leaves the catalogue. ``--part
PATH... --out FILE`` writes the messages of some files or folders to a file of their own (translations kept from
FILE and the catalogue), and ``--merge FILE...`` takes translations from such files back in.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from marketing_rules.i18n import DOMAIN, LOCALE

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2)}
FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def new_catalogue(lang: str | None = None) -> Catalog:
    catalogue = Catalog(locale=lang, domain=DOMAIN, project="marketing_rules", copyright_holder="marketing_rules",
                        last_translator="marketing_rules", language_team="marketing_rules", fuzzy=False)
    return catalogue


def extracted(parts: Sequence[str] = ()) -> Catalog:
    """Every message the code marks (in the given files and folders of the package, or all), with its
    files."""
    catalogue = new_catalogue()
    with contextlib.redirect_stderr(io.StringIO()):  # Babel's notes on f-strings given as field values
        for part in parts or [""]:
            _extract_part(catalogue, part)
    return catalogue


def _extract_part(catalogue: Catalog, part: str) -> None:
    where = PACKAGE / part
    if where.is_file():
        found = ((where.name, *found) for found in extract_from_file("python", where, keywords=KEYWORDS))
        base = where.parent
    else:
        found = extract_from_dir(str(where), method_map=[("**.py", "python")], keywords=KEYWORDS)
        base = where
    for path, line, message, _comments, _context in found:
        catalogue.add(message, locations=[(str(Path("marketing_rules") / (base / path).relative_to(PACKAGE)), line)])


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return new_catalogue(lang)
    with path.open("rb") as po:
        return read_po(po, locale=lang, domain=DOMAIN)


def write(catalogue: Catalog, path: Path) -> None:
    catalogue.fuzzy = False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, catalogue, width=100, sort_output=True, include_lineno=False)


def fields(text: str) -> set[str]:
    return set(FIELD.findall(text.replace("{{", "").replace("}}", "")))


def forms(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms (one, or the singular and plural)."""
    return tuple(str(v or "") for v in value) if isinstance(value, (tuple, list)) else (str(value or ""),)


def problems(catalogue: Catalog) -> list[str]:
    """Messages without a translation, and translations whose ``{fields}`` differ from the message's."""
    found = []
    for message in catalogue:
        if not message.id:
            continue
        ids, strings = forms(message.id), forms(message.string)
        if not all(strings) or message.fuzzy:
            found.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set().union(*(fields(i) for i in ids))
        for string in strings:
            if fields(string) != wanted:
                found.append(f"fields differ: {ids[0]!r} -> {string!r}")
    return found


def fill(catalogue: Catalog, sources: Iterable[Catalog]) -> None:
    """Give each untranslated message of ``catalogue`` the first translation ``sources`` hold."""
    for source in sources:
        for message in source:
            target = catalogue.get(message.id) if message.id else None
            if target is not None and all(forms(message.string)) and not message.fuzzy:
                if not all(forms(target.string)):
                    target.string = message.string


def update(lang: str, parts: Sequence[str] = (), out: Path | None = None, merge: Iterable[Path] = ()) -> Catalog:
    main_path = po_path(lang)
    path = out or main_path
    catalogue = read(path, lang)
    template = extracted(parts)
    template.creation_date = catalogue.creation_date
    catalogue.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalogue.obsolete.clear()
    fill(catalogue, [read(p, lang) for p in merge] + ([read(main_path, lang)] if out else []))
    write(catalogue, path)
    return catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list problems; exit 1 if there is one")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--part", nargs="*", default=[], help="files or folders of the package, e.g. load cli.py")
    parser.add_argument("--out", type=Path, help="with --part: the file to write their messages to")
    parser.add_argument("--merge", type=Path, nargs="*", default=[], help="files to take translations from")
    arguments = parser.parse_args(argv)
    if arguments.check:
        catalogue = read(po_path(arguments.lang), arguments.lang)
        missing = [f"not in the catalogue: {m.id!r}" for m in extracted() if m.id and m.id not in catalogue]
        found = missing + problems(catalogue)
    else:
        catalogue = update(arguments.lang, arguments.part, arguments.out, arguments.merge)
        found = problems(catalogue)
    for problem in found if arguments.check else found[:10]:
        print(problem)
    print(f"{len(catalogue)} messages, {len(found)} problems", file=sys.stderr)
    return 1 if found and arguments.check else 0


if __name__ == "__main__":
    sys.exit(main())
