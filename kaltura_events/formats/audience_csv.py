"""The audience as an HR or CRM export gives it: a CSV file, merged with inline people.

Read before anything is sent, so that a bad export costs a message, not a
half-invited audience. Every problem is named at once (file, spreadsheet
row, column, value): an HR export is fixed in a spreadsheet, and fixing one
row per run would take as many runs as there are bad rows.

Exports come from spreadsheets and HR systems in their own dialects: UTF-8
with or without a byte-order mark, comma or semicolon separated (Excel in
much of Europe writes semicolons), quoted fields, extra columns nobody asked
for. All of them are read; anything ambiguous is refused rather than guessed.

Never logs or prints: the caller decides who sees an audience's addresses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.formats.paths import Root, inside
from kaltura_events.planning.audience import PERSON_FIELDS, AudiencePerson, AudienceSpec, ResolvedAudience
from kaltura_events.planning.people import email_key

MAX_SHOWN_PROBLEMS = 50
REQUIRED_FIELDS = ("email", "first_name", "last_name")
_QUOTED = re.compile(r'"[^"]*"')
_SURROGATE = re.compile("[\udc80-\udcff]")
_FIELD_WORDS = {
    "email": "email",
    "first_name": "first name",
    "last_name": "last name",
    "title": "title",
    "company": "company",
}


class AudienceFileError(KalturaError, ValueError):
    """The audience cannot be read as given; ``problems`` lists each one, placed and with its value."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(problems_text(self.problems, " in the audience"))


def problems_text(problems: Sequence[str], context: str) -> str:
    """A count, then one problem a line: up to 50, so a file cut in the wrong place stays readable."""
    count = len(problems)
    lines = [f"{count} problem{'' if count == 1 else 's'}{context}:", *problems[:MAX_SHOWN_PROBLEMS]]
    if count > MAX_SHOWN_PROBLEMS:
        lines.append(f"and {count - MAX_SHOWN_PROBLEMS} more")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    """A value as the file has it, cut short: a pasted paragraph must not bury the other problems."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class _Source:
    """Where one person was given: a CSV row (with the export's own headers) or an inline entry."""

    file: str | None
    number: int
    headers: Mapping[str, str]

    @property
    def place(self) -> str:
        return f"audience.people[{self.number}]" if self.file is None else f"{self.file} row {self.number}"

    def cell(self, field: str) -> str:
        if self.file is None:
            return f"audience.people[{self.number}].{field}"
        return f'{self.file}: row {self.number}, column "{self.headers.get(field, field)}"'


@dataclass(frozen=True)
class _Entry:
    source: _Source
    person: AudiencePerson


# -- reading the file ----------------------------------------------------------------


def read_audience_csv(
    path: Path, columns: Mapping[str, str], shown_as: str
) -> list[tuple[str, AudiencePerson]]:
    """Every person in the export, in file order, each with its place (``audiences/all.csv row 7``).

    Duplicates are kept: merging them is :func:`resolve_audience`'s, which
    also sees the inline people. ``columns`` maps a field to the export's
    header where it differs; headers match in any case.
    Raises :class:`AudienceFileError` naming every problem.
    """
    problems: list[str] = []
    entries = _read_entries(path, columns, shown_as, problems)
    if problems:
        raise AudienceFileError(problems)
    return [(entry.source.place, entry.person) for entry in entries]


def _read_entries(path: Path, columns: Mapping[str, str], shown_as: str, problems: list[str]) -> list[_Entry]:
    """The rows that are people; each row that is not adds its problems (rows are checked all the same)."""
    known = len(problems)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{shown_as}: cannot read: {exc.strerror or exc} (looked for {path.absolute()})")
        return []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        problems.append(
            f"{shown_as}: not UTF-8 (it looks like UTF-16, Excel's 'Unicode Text'); export it as CSV UTF-8"
        )
        return []
    # surrogateescape keeps going past a bad byte, so each bad cell is named with its row and column.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    entries: list[_Entry] = []
    records = _records(text, _delimiter(text), shown_as, problems)
    header = next(records, None)
    if header is None:
        if len(problems) == known:
            problems.append(
                f"{shown_as}: row 1: the file is empty; expected a header row naming email, first_name "
                "and last_name columns"
            )
        return []
    headers, index = _header(header, columns, shown_as, problems)
    if len(problems) > known:
        return []  # without its columns, no row can be read
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells a spreadsheet left at the end
        entry = _entry(number, cells, header[1], headers, index, shown_as, problems)
        if entry is not None:
            entries.append(entry)
    if not entries and len(problems) == known:
        problems.append(
            f"{shown_as}: no people below the header row (row 1): refused, since a truncated or "
            "failed export must not empty an audience; remove audience.csv to invite nobody from a file"
        )
    return entries


def _delimiter(text: str) -> str:
    """Comma or semicolon, whichever the header line has more of outside quotes."""
    first_line = _QUOTED.sub("", text.lstrip("\r\n").split("\n", 1)[0])
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _records(
    text: str, delimiter: str, shown_as: str, problems: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """Records numbered as a spreadsheet shows them: the header is row 1; a quoted line break stays inside.

    Leading blank lines are skipped, so the first record is the header. An
    unreadable record (an unclosed quote) ends the reading with a problem:
    what follows it cannot be placed reliably.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for cells in reader:
            if number == 0 and not any(cell.strip() for cell in cells):
                continue
            number += 1
            yield number, cells
    except csv.Error as exc:
        problems.append(
            f"{shown_as}: row {number + 1} (line {reader.line_num}): not readable as CSV ({exc}); "
            'is a quote (") left open?'
        )


def _header(
    header: tuple[int, list[str]], columns: Mapping[str, str], shown_as: str, problems: list[str]
) -> tuple[dict[str, str], dict[str, int]]:
    """Each field's header as the export spells it, and its cell's index."""
    cells = [cell.strip() for cell in header[1]]
    for position, cell in enumerate(cells):
        if _SURROGATE.search(cell):
            problems.append(_not_utf8(shown_as, 1, f"column {position + 1}", cell))
    positions: dict[str, list[int]] = {}
    for position, cell in enumerate(cells):
        positions.setdefault(cell.casefold(), []).append(position)
    headers: dict[str, str] = {}
    index: dict[str, int] = {}
    for field in PERSON_FIELDS:
        wanted = columns.get(field, field).strip()
        found = positions.get(wanted.casefold(), [])
        mapped = f" (audience.columns.{field})" if field in columns else ""
        if len(found) > 1:
            places = " and ".join(str(p + 1) for p in found)
            problems.append(
                f'{shown_as}: row 1, column "{wanted}"{mapped}: appears {len(found)} times '
                f"(columns {places}); which one is the {_FIELD_WORDS[field]} is not clear"
            )
        elif found:
            headers[field] = cells[found[0]]
            index[field] = found[0]
        elif field in REQUIRED_FIELDS or field in columns:
            listed = ", ".join(f'"{c}"' for c in cells if c) or "no names"
            hint = "" if mapped else f"; map another header to it with audience.columns.{field}"
            problems.append(
                f'{shown_as}: row 1, column "{wanted}"{mapped}: missing; the header row has {listed}{hint}'
            )
    return headers, index


def _entry(
    number: int,
    cells: list[str],
    header: list[str],
    headers: dict[str, str],
    index: dict[str, int],
    shown_as: str,
    problems: list[str],
) -> _Entry | None:
    source = _Source(shown_as, number, headers)
    extra = cells[len(header) :]
    if any(cell.strip() for cell in extra):
        problems.append(
            f"{shown_as}: row {number}, column {len(header) + 1}: {len(cells)} fields where the header "
            f"has {len(header)}; quote a value that holds a comma or semicolon "
            f"(got {_shown(next(c.strip() for c in extra if c.strip()))})"
        )
        return None
    values = {field: cells[i].strip() if i < len(cells) else "" for field, i in index.items()}
    bad_bytes = [(field, value) for field, value in values.items() if _SURROGATE.search(value)]
    if bad_bytes:
        for field, value in bad_bytes:
            problems.append(_not_utf8(shown_as, number, f'column "{headers[field]}"', value))
        return None
    try:
        return _Entry(source, AudiencePerson.model_validate(values))
    except ValidationError as exc:
        problems.extend(f"{source.cell(field)}: {reason}" for field, reason in _reasons(exc))
        return None


def _not_utf8(shown_as: str, number: int, column: str, value: str) -> str:
    raw = value.encode("utf-8", errors="surrogateescape")
    return (
        f"{shown_as}: row {number}, {column}: not UTF-8 text (got {_shown(raw)}); "
        "export the file as CSV UTF-8"
    )


def _reasons(exc: ValidationError) -> list[tuple[str, str]]:
    """Pydantic's errors as (field, reason with the value), in words a spreadsheet user reads."""
    reasons: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "email"
        value = error.get("input")
        cause = (error.get("ctx") or {}).get("error")
        kind = error["type"]
        if isinstance(cause, InvalidArgumentError):
            reason = cause.reason
        elif kind in ("string_too_short", "missing") or (kind == "string_pattern_mismatch" and value == ""):
            reason = f"empty; every person needs a {_FIELD_WORDS.get(field, field)}"
            value = "" if kind == "missing" else value
        elif kind == "string_too_long":
            reason = f"longer than {(error.get('ctx') or {}).get('max_length')} characters"
        else:
            reason = error["msg"]
        reasons.append((field, f"{reason} (got {_shown(value)})"))
    return reasons


# -- merging -------------------------------------------------------------------------


def resolve_audience(spec: AudienceSpec, roots: Sequence[Root], shown_base: str = "") -> ResolvedAudience:
    """The people a spec names: its CSV (relative to the first root, refused outside the roots) and
    its inline people, one per email.

    The CSV's path is checked before it is opened: a problem quotes cells of
    the file, so a path out of the root (``/home/worker/.env``, ``../../x``,
    a symlink) would show whoever wrote the spec another file's content.
    ``shown_base`` is put before the CSV's path in messages, for a caller
    whose user sees the root by another name; by default the path is
    shown as the spec gives it. The same person twice with the same details
    is one person; twice with different details is an error naming both
    places, since which one is right is not ours to guess.
    Raises :class:`AudienceFileError` with every problem.
    """
    problems: list[str] = []
    entries: list[_Entry] = []
    if spec.csv is None and not spec.people:
        raise AudienceFileError(["audience: names nobody; give csv, people or both (or no audience)"])
    if spec.csv is not None:
        columns = {str(field): header for field, header in spec.columns.items()}
        try:
            path = inside(spec.csv, "audience.csv", roots)
        except InvalidArgumentError as exc:
            problems.append(f"audience.csv: {exc.reason} (got {_shown(spec.csv)})")
        else:
            entries += _read_entries(path, columns, f"{shown_base}{spec.csv}", problems)
    for number, person in enumerate(spec.people):
        trimmed = {field: str(getattr(person, field)).strip() for field in PERSON_FIELDS}
        entries.append(_Entry(_Source(None, number, {}), AudiencePerson.model_validate(trimmed)))
    people = _merge(entries, problems)
    if problems:
        raise AudienceFileError(problems)
    return ResolvedAudience(
        people=tuple(sorted(people, key=lambda p: p.key)),
        send_invitations=spec.send_invitations,
        remove_unlisted=spec.remove_unlisted,
        max_removals=spec.max_removals,
    )


def _merge(entries: list[_Entry], problems: list[str]) -> list[AudiencePerson]:
    first: dict[str, _Entry] = {}
    for entry in entries:
        key = email_key(entry.person.email)
        earlier = first.setdefault(key, entry)
        if earlier is entry:
            continue
        differ = [f for f in PERSON_FIELDS[1:] if getattr(earlier.person, f) != getattr(entry.person, f)]
        if differ:
            details = "; ".join(
                f"{_FIELD_WORDS[f]} {getattr(earlier.person, f)!r} there, {getattr(entry.person, f)!r} here"
                for f in differ
            )
            problems.append(
                f"{entry.source.cell(differ[0])}: {key} is also at {earlier.source.place}, "
                f"with different details ({details}); keep one"
            )
    return [entry.person for entry in first.values()]
