"""A messages block's email bodies: HTML files next to the events file, read before any write.

Whoever edits the events file in a pull request chooses these paths, as they
choose audience CSVs, so the same rules hold (formats/paths.py): a path is
resolved, symlinks followed, and refused unless it lands inside the events
file's folder, before anything is opened. A refusal names the field and the
path, never a byte of the file: a token error quotes the body's token, and so
it is only ever made for a file inside the root.

A body is UTF-8 (what a mail client shows is UTF-8; a guessed encoding is a
mangled mail), at most :data:`MAX_BODY_BYTES`, not empty, and every token in
it is one a run fills (planning/messages.py ``check_tokens``): a typo in a
token reaches people's inboxes otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.formats.paths import Root, inside
from kaltura_events.planning.messages import MessagesSpec, SeriesMessages, check_tokens

MAX_BODY_BYTES = 512 * 1024
"""Far above any real email (mail clients clip near 100 KiB), far below what would slow a run."""


@dataclass(frozen=True)
class BodyProblem:
    """One body that cannot be used: the field (``templates.reminder.body_file``), why, and the value."""

    field: str
    reason: str
    value: str


def read_bodies(spec: MessagesSpec, roots: Sequence[Root]) -> tuple[SeriesMessages | None, list[BodyProblem]]:
    """The block with every template's body read; or None and every problem, one per template.

    Fields are relative to the block (``templates.reminder.body_file``): the
    caller knows where the block sits in the file.
    """
    bodies: dict[str, str] = {}
    problems: list[BodyProblem] = []
    for key, template in spec.templates.items():
        field = f"templates.{key}.body_file"
        try:
            bodies[key] = read_body(template.body_file, field, roots)
        except InvalidArgumentError as exc:
            problems.append(BodyProblem(exc.field, exc.reason, str(exc.value)))
    if problems:
        return None, problems
    return SeriesMessages(spec, bodies), []


def read_body(given: str, field: str, roots: Sequence[Root]) -> str:
    """One body's text, or :class:`InvalidArgumentError` naming ``field`` and the path as given.

    The path is checked before the file is opened (``inside``), so a path out of
    the root is refused without reading it.
    """
    path = inside(given, field, roots)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BODY_BYTES + 1)
    except OSError as exc:
        raise InvalidArgumentError(field, given, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BODY_BYTES:
        raise InvalidArgumentError(field, given, f"larger than {MAX_BODY_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidArgumentError(
            field, given, f"not UTF-8 (byte {exc.start} is not); save the HTML as UTF-8"
        ) from None
    if not text.strip():
        raise InvalidArgumentError(field, given, "empty: an email needs a body")
    try:
        return check_tokens(field, text)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(field, given, f"uses {exc.value}: {exc.reason}") from None
