"""Audience exports: read as spreadsheets and HR systems write them, refused whole when anything is wrong.

Every refusal names the file, the row (as a spreadsheet numbers it), the
column and the value, and all problems come at once.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.formats.audience_csv import (
    AudienceFileError,
    read_audience_csv,
    resolve_audience,
)
from kaltura_events.formats.paths import Root
from kaltura_events.planning.audience import AudiencePerson, AudienceSpec

HEADER = "email,first_name,last_name,title,company\n"
HR_COLUMNS = {"email": "E-mail Address", "first_name": "Given Name", "last_name": "Surname"}


def rooted(folder: Path) -> list[Root]:
    return [Root.of(folder, "the test's folder")]


def write(tmp_path: Path, text: str, name: str = "all.csv", bom: bool = False) -> Path:
    path = tmp_path / "audiences" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def problems_of(path: Path, columns: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(AudienceFileError) as caught:
        read_audience_csv(path, columns or {}, "audiences/all.csv")
    assert str(caught.value).splitlines()[1:] == caught.value.problems[:50]
    return caught.value.problems


def spec(**fields: object) -> AudienceSpec:
    return AudienceSpec.model_validate({"csv": "audiences/all.csv", **fields})


# -- what is read --------------------------------------------------------------------


def test_hr_export_with_bom_semicolons_and_mapped_headers(tmp_path: Path) -> None:
    write(
        tmp_path,
        "E-mail Address;Given Name;Surname;Job Title;Company;Cost Centre\r\n"
        "jane@example.com;Jane;Doe;CEO;Acme;4711\r\n"
        ' bob@example.com ;"Bob";"Smith; Jr.";;Acme\r\n',
        bom=True,
    )
    read = read_audience_csv(
        tmp_path / "audiences/all.csv", {**HR_COLUMNS, "title": "job title"}, "audiences/all.csv"
    )
    jane = AudiencePerson(
        email="jane@example.com", first_name="Jane", last_name="Doe", title="CEO", company="Acme"
    )
    bob = AudiencePerson(email="bob@example.com", first_name="Bob", last_name="Smith; Jr.", company="Acme")
    assert read == [("audiences/all.csv row 2", jane), ("audiences/all.csv row 3", bob)]


def test_quoted_fields_with_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Email,First_Name,LAST_NAME,Title\n"
        'a@example.com,"Ann, Jr.","O\'Neil ""The Boss""","Head of\nPeople"\n'
        "b@example.com,Bo,Li,\n",
    )
    read = read_audience_csv(path, {}, "audiences/all.csv")
    assert [p.first_name for _, p in read] == ["Ann, Jr.", "Bo"]
    assert read[0][1].last_name == 'O\'Neil "The Boss"' and read[0][1].title == "Head of\nPeople"
    assert [place for place, _ in read] == ["audiences/all.csv row 2", "audiences/all.csv row 3"]


def test_blank_lines_and_empty_trailing_cells_are_not_people(tmp_path: Path) -> None:
    path = write(tmp_path, "\nemail,first_name,last_name\n\na@example.com,Ann,Lee,,\n,,\n")
    assert [place for place, _ in read_audience_csv(path, {}, "all.csv")] == ["all.csv row 3"]


def test_mixed_case_duplicates_merge_into_one_person(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "Jane@Example.COM,Jane,Doe,,\n jane@example.com ,Jane , Doe,,\n")
    resolved = resolve_audience(
        spec(people=[{"email": "JANE@example.com", "first_name": "Jane", "last_name": "Doe"}]),
        rooted(tmp_path),
    )
    assert [(p.key, p.first_name, p.last_name) for p in resolved.people] == [
        ("jane@example.com", "Jane", "Doe")
    ]


def test_resolved_audience_is_sorted_and_keeps_its_options(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "zed@example.com,Zed,Z,,\namy@example.com,Amy,A,,\n")
    resolved = resolve_audience(
        spec(
            people=[{"email": "Max@example.com", "first_name": "Max", "last_name": "M"}],
            send_invitations=True,
            remove_unlisted=True,
            max_removals=3,
        ),
        rooted(tmp_path),
    )
    assert [p.key for p in resolved.people] == ["amy@example.com", "max@example.com", "zed@example.com"]
    assert (resolved.send_invitations, resolved.remove_unlisted, resolved.max_removals) == (True, True, 3)


def test_inline_people_alone_need_no_file(tmp_path: Path) -> None:
    inline = AudienceSpec(people=[AudiencePerson(email="a@example.com", first_name="A", last_name="B")])
    resolved = resolve_audience(inline, rooted(tmp_path / "nowhere"))
    assert [p.email for p in resolved.people] == ["a@example.com"]


# -- what is refused -----------------------------------------------------------------


def test_conflicting_duplicates_name_both_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER + "jane@example.com,Jane,Doe,,\nx@example.com,X,Y,,\nJANE@example.com,Janet,Doe,,\n"
    )
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(spec(), rooted(tmp_path))
    [problem] = caught.value.problems
    assert problem.startswith('audiences/all.csv: row 4, column "first_name": jane@example.com')
    assert "audiences/all.csv row 2" in problem and "'Jane' there, 'Janet' here" in problem
    assert path.exists()


def test_inline_entry_conflicting_with_a_row_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "jane@example.com,Jane,Doe,CEO,\n")
    inline = [{"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe", "title": "CFO"}]
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(spec(people=inline), rooted(tmp_path))
    [problem] = caught.value.problems
    assert problem.startswith("audience.people[0].title: jane@example.com is also at audiences/all.csv row 2")
    assert "'CEO' there, 'CFO' here" in problem


REFUSED = {
    "bad email": (
        "E-mail Address,Given Name,Surname\nok@example.com,A,B\njane@,Jane,Doe\n",
        HR_COLUMNS,
        ['audiences/all.csv: row 3, column "E-mail Address": expected one email address such as '
         "jane@example.com (got 'jane@')"],
    ),
    "two addresses in one cell": (
        HEADER + '"a@example.com, b@example.com",A,B,,\n',
        {},
        ['audiences/all.csv: row 2, column "email": expected one email address such as jane@example.com '
         "(got 'a@example.com, b@example.com')"],
    ),
    "empty first name": (
        HEADER + "a@example.com,  ,B,,\n",
        {},
        ["audiences/all.csv: row 2, column \"first_name\": empty; every person needs a first name (got '')"],
    ),
    "short row without a last name": (
        HEADER + "a@example.com,A\n",
        {},
        ["audiences/all.csv: row 2, column \"last_name\": empty; every person needs a last name (got '')"],
    ),
    "title too long": (
        HEADER + f"a@example.com,A,B,{'x' * 300},\n",
        {},
        ['audiences/all.csv: row 2, column "title": longer than 256 characters (got '],
    ),
    "too many fields": (
        HEADER + "a@example.com,A,B,Boss,Acme,Inc.\n",
        {},
        ["audiences/all.csv: row 2, column 6: 6 fields where the header has 5; quote a value that holds "
         "a comma or semicolon (got 'Inc.')"],
    ),
    "missing required column": (
        "email,first name,last_name\na@example.com,A,B\n",
        {},
        ['audiences/all.csv: row 1, column "first_name": missing; the header row has "email", "first name", '
         '"last_name"; map another header to it with audience.columns.first_name'],
    ),
    "mapped column missing": (
        "email,first_name,last_name\na@example.com,A,B\n",
        {"email": "E-mail Address"},
        ['audiences/all.csv: row 1, column "E-mail Address" (audience.columns.email): missing; '
         'the header row has "email", "first_name", "last_name"'],
    ),
    "column twice": (
        "email,first_name,last_name,Email\na@example.com,A,B,c@example.com\n",
        {},
        ['audiences/all.csv: row 1, column "email": appears 2 times (columns 1 and 4); which one is the '
         "email is not clear"],
    ),
    "empty file": ("", {}, ["audiences/all.csv: row 1: the file is empty; expected a header row"]),
    "blank file": ("\n\n  \n", {}, ["audiences/all.csv: row 1: the file is empty"]),
    "only empty cells": (",,\n , ,\n", {}, ["audiences/all.csv: row 1: the file is empty"]),
    "header with an open quote": ('"email,first_name,last_name\na@example.com,A,B\n', {},
                                  ["audiences/all.csv: row 1 (line 2): not readable as CSV"]),
    "header only": (
        HEADER,
        {},
        ["audiences/all.csv: no people below the header row (row 1): refused, since a truncated or failed "
         "export must not empty an audience"],
    ),
    "unclosed quote": (
        HEADER + 'a@example.com,"Ann,B,,\nb@example.com,Bo,C,,\n',
        {},
        ["audiences/all.csv: row 2 (line 3): not readable as CSV"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_naming_file_row_column_and_value(case: str, tmp_path: Path) -> None:
    text, columns, expected = REFUSED[case]
    problems = problems_of(write(tmp_path, text), columns)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem


def test_not_utf8_names_each_cell(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "jose@example.com,José,García,,\nann@example.com,Ann,Lee,,\n").encode("latin-1")
    )
    problems = problems_of(path)
    assert problems == [
        "audiences/all.csv: row 2, column \"first_name\": not UTF-8 text (got b'Jos\\xe9'); "
        "export the file as CSV UTF-8",
        "audiences/all.csv: row 2, column \"last_name\": not UTF-8 text (got b'Garc\\xeda'); "
        "export the file as CSV UTF-8",
    ]


def test_utf16_export_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes((HEADER + "a@example.com,A,B,,\n").encode("utf-16"))
    assert problems_of(path) == [
        "audiences/all.csv: not UTF-8 (it looks like UTF-16, Excel's 'Unicode Text'); export it as CSV UTF-8"
    ]


def test_missing_file_is_named_with_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(spec(csv="audiences/gone.csv"), rooted(tmp_path))
    [problem] = caught.value.problems
    assert problem.startswith("audiences/gone.csv: cannot read: No such file or directory")
    assert str(tmp_path / "audiences" / "gone.csv") in problem


def test_problems_of_the_file_and_of_inline_people_come_together(tmp_path: Path) -> None:
    write(tmp_path, "mail,first_name,last_name\na@example.com,A,B\n")
    twice = [{"email": "b@example.com", "first_name": "B", "last_name": n} for n in ("One", "Two")]
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(spec(people=twice), rooted(tmp_path))
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "audiences/all.csv",
        "audience.people[1].last_name",
    ]
    assert str(caught.value).startswith("2 problems in the audience:\n")


def test_spec_naming_nobody_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AudienceFileError, match=r"audience: names nobody"):
        resolve_audience(AudienceSpec(), rooted(tmp_path))


def test_shown_base_prefixes_the_file(tmp_path: Path) -> None:
    write(tmp_path, HEADER)
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(spec(), rooted(tmp_path), shown_base="examples/")
    assert caught.value.problems[0].startswith("examples/audiences/all.csv: no people")


def test_2000_rows_with_three_bad_ones_report_exactly_those_three(tmp_path: Path) -> None:
    """How fast a large file reads is the audience benchmark's (50,000 people), not a timed test's."""
    lines = [f"person{i}@example.com;First {i};Last {i};Engineer;Acme" for i in range(2000)]
    lines[6] = "jane@;Jane;Doe;;"  # row 8
    lines[999] = "p999@example.com;;Last;;"  # row 1001
    lines[1998] = "p1998@example.com;A;B;C;D;E"  # row 2000
    path = write(tmp_path, "E-mail Address;Given Name;Surname;Title;Company\n" + "\n".join(lines) + "\n")
    with pytest.raises(AudienceFileError) as caught:
        read_audience_csv(path, HR_COLUMNS, "audiences/all.csv")
    message = str(caught.value).splitlines()
    assert message[0] == "3 problems in the audience:"
    assert [line.split(":")[1] for line in message[1:]] == [" row 8, column \"E-mail Address\"",
                                                            " row 1001, column \"Given Name\"",
                                                            " row 2000, column 6"]  # fmt: skip
    lines[6], lines[999], lines[1998] = "jane@example.com;Jane;Doe;;", "p@example.com;P;Q;;", ""
    path.write_text("E-mail Address;Given Name;Surname;Title;Company\n" + "\n".join(lines) + "\n")
    assert len(read_audience_csv(path, HR_COLUMNS, "audiences/all.csv")) == 1999


def test_more_than_fifty_problems_are_counted_not_all_shown(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "".join(f"bad{i},A,B,,\n" for i in range(70)))
    with pytest.raises(AudienceFileError) as caught:
        read_audience_csv(path, {}, "all.csv")
    lines = str(caught.value).splitlines()
    assert lines[0] == "70 problems in the audience:" and len(caught.value.problems) == 70
    assert len(lines) == 52 and lines[-1] == "and 20 more"


# -- any export reads back as written ------------------------------------------------

_LETTERS = st.characters(categories=["L", "Nd"])
_PUNCT = st.sampled_from([",", ";", '"', "'", " ", "-", "."])
_TEXT = st.text(st.one_of(_LETTERS, _PUNCT), max_size=30)
_NAME = _TEXT.filter(lambda s: s.strip() != "")


@st.composite
def _email(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9._+-]{0,15}", fullmatch=True))
    domain = draw(st.from_regex(r"[a-zA-Z0-9-]{1,12}\.[a-zA-Z]{2,6}", fullmatch=True))
    padding = draw(st.sampled_from(["", " ", "  "]))
    return f"{padding}{local}@{domain}{draw(st.sampled_from(['', ' ']))}"


_PERSON = st.tuples(_email(), _NAME, _NAME, _TEXT, _TEXT)


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(_PERSON, min_size=1, max_size=25, unique_by=lambda p: p[0].strip().lower()),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_any_export_reads_back_as_its_people(
    people: list[tuple[str, str, str, str, str]], delimiter: str, bom: bool
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["Email", "First_Name", "Last_Name", "Title", "Company"])
    writer.writerows(people)
    with tempfile.TemporaryDirectory() as base:
        (Path(base) / "export.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode())
        resolved = resolve_audience(AudienceSpec(csv="export.csv"), rooted(Path(base)))
    got = {(p.key, p.first_name, p.last_name, p.title, p.company) for p in resolved.people}
    assert got == {(e.strip().lower(), *(v.strip() for v in rest)) for e, *rest in people}
    assert len(resolved.people) == len(people)
