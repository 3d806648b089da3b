"""The README's shell examples and plan tables, read with a Markdown parser, for the tests to run.

A fenced ``bash``/``sh``/``shell``/``console`` block is a list of commands,
split as bash splits them (a backslash or an open quote continues a line).
The README says what each command should do in the words a reader sees: a
trailing ``# exit 0: ..., 2: changes, 1: error`` lists its exit codes (those
not described as an error are success; ``exit as above`` repeats the previous
command's), and ``# leave it running`` marks a
command a reader leaves in a terminal of its own. An HTML comment just before
a block, ``<!-- readme-test: skip (the reason) -->``, is the only way to
leave a block unrun, and it must say why.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console"})
MARKER = re.compile(r"<!--\s*readme-test:(?P<body>.*?)-->", re.DOTALL)
SKIP = re.compile(r"\s*skip\s*\((?P<reason>[^)]*)\)\s*")
EXIT_CODES = re.compile(r"\bexit\s+(?P<codes>\d+:.*)")
CODE_MEANING = re.compile(r"(\d+):\s*([^,;]*)")
BACKGROUND = "leave it running"
AS_ABOVE = "exit as above"


@dataclass(frozen=True)
class Command:
    """One command of a block, as bash reads it, with what its comment says of its outcome."""

    text: str
    line: int
    exit_codes: frozenset[int]
    background: bool

    @property
    def program(self) -> str:
        """The command's first words without its arguments, e.g. ``prefect server start``."""
        words = shlex.split(self.text, comments=True)
        return " ".join(w for w in words[:3] if not w.startswith("-"))


@dataclass(frozen=True)
class ShellBlock:
    """A fenced shell block: where it is, under which heading, and the marker before it."""

    line: int
    heading: str
    language: str
    text: str
    marker: str | None

    @property
    def skip_reason(self) -> str | None:
        """The reason a ``skip`` marker gives; None when the block is to be run."""
        if self.marker is None:
            return None
        match = SKIP.fullmatch(self.marker)
        return match.group("reason").strip() if match else None

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.heading})"

    def commands(self) -> list[Command]:
        return split_commands(self.text, self.line + 1, console=self.language == "console")


def shell_blocks(path: Path) -> list[ShellBlock]:
    """Every fenced shell block of a Markdown file, in file order, with the marker just before it."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    blocks: list[ShellBlock] = []
    heading = ""
    for index, token in enumerate(tokens):
        if token.type == "inline" and index and tokens[index - 1].type == "heading_open":
            heading = token.content
        if token.type != "fence" or token.info.split()[:1] == [] or token.map is None:
            continue
        language = token.info.split()[0]
        if language not in SHELL_LANGUAGES:
            continue
        before = tokens[index - 1] if index else None
        marker = None
        if before is not None and before.type == "html_block":
            found = MARKER.search(before.content)
            marker = found.group("body") if found else None
        blocks.append(ShellBlock(token.map[0] + 1, heading, language, token.content, marker))
    return blocks


def markers(path: Path) -> list[tuple[int, str]]:
    """Every ``readme-test:`` comment of the file with its line, wherever it stands."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group("body")) for m in MARKER.finditer(text)]


def fences(path: Path) -> list[tuple[int, str, str]]:
    """Every fenced block: its first line, its language (empty when none is given) and its text."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [
        (t.map[0] + 1, (t.info.split() or [""])[0], t.content)
        for t in tokens
        if t.type == "fence" and t.map is not None
    ]


def unlabeled_blocks(path: Path) -> list[tuple[int, str]]:
    """Fenced blocks without a language (examples of output, the layout), with their first line."""
    return [(line, text) for line, language, text in fences(path) if not language]


def split_commands(text: str, first_line: int, *, console: bool = False) -> list[Command]:
    """The block's commands: lines joined while a backslash or an open quote continues them.

    In a ``console`` block only lines after a ``$ `` prompt are commands; the
    rest is their output.
    """
    commands: list[Command] = []
    pending: list[str] = []
    start = first_line
    for number, raw in enumerate(text.splitlines(), first_line):
        line = raw
        if not pending:
            if console:
                if not raw.startswith("$ "):
                    continue
                line = raw[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        pending.append(line)
        joined = "\n".join(pending)
        if line.rstrip().endswith("\\") or not _complete(joined):
            continue
        commands.append(_command(joined, start, commands[-1] if commands else None))
        pending = []
    if pending:
        raise ValueError(f"README.md:{start}: a command is not closed (an open quote or a trailing \\)")
    return commands


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # "No closing quotation": the command goes on on the next line
        return False
    return True


def _command(text: str, line: int, previous: Command | None) -> Command:
    """``# exit as above`` repeats the previous command's codes, as the reader reads it."""
    comment = _comment(text)
    codes: frozenset[int] = frozenset({0})
    found = EXIT_CODES.search(comment)
    if found:
        meanings = CODE_MEANING.findall(found.group("codes"))
        codes = frozenset(int(code) for code, meaning in meanings if "error" not in meaning)
    elif AS_ABOVE in comment and previous is not None:
        codes = previous.exit_codes
    return Command(text, line, codes, BACKGROUND in comment)


def _comment(text: str) -> str:
    """What follows an unquoted ``#`` that starts a word, on the command's last line."""
    lexer = shlex.shlex(text.splitlines()[-1], posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words = list(lexer)
    for index, word in enumerate(words):
        if word.startswith("#"):
            return " ".join(words[index:])[1:].strip()
    return ""


# -- plan tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTable:
    """An aligned table as ``kaltura-events plan`` prints it: the header and each row's cells."""

    header: tuple[str, ...]
    rows: list[dict[str, str]]


def read_plan_table(text: str) -> PlanTable:
    """Cells cut at the header's column starts, as the terminal aligns them."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = tuple(lines[0].split())
    starts = [_column_start(lines[0], name) for name in header]
    rows = []
    for line in lines[1:]:
        bounds = [*starts[1:], None]
        rows.append({h: line[s:e].strip() for h, s, e in zip(header, starts, bounds, strict=True)})
    return PlanTable(header, rows)


def _column_start(header_line: str, name: str) -> int:
    match = re.search(rf"(?:^|\s){re.escape(name)}(?:\s|$)", header_line)
    assert match is not None, f"no column {name!r} in {header_line!r}"
    return match.start() + (match.group(0)[0].isspace())


def plan_tables(path: Path) -> list[tuple[int, str]]:
    """The README's examples of plan output: unlabeled blocks whose first line is a plan header."""
    return [(line, text) for line, text in unlabeled_blocks(path) if text.startswith("series ")]
