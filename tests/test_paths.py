"""Paths from parameters and files stay under their root, and refusals quote nothing outside it.

The layout every test uses: a root holding an export, a folder and two
symlinks (one staying inside, one leading out), beside a folder outside the
root holding a "secret" whose first line would be quoted by a CSV error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.formats.audience_csv import AudienceFileError, read_audience_csv, resolve_audience
from kaltura_events.formats.paths import WORK_ROOT_ENV, Root, inside, work_roots
from kaltura_events.planning.audience import AudienceSpec

SECRET = "TOPSECRET=hunter2"
INSIDE_HEADER = "inside-header"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base/root`` (the root) and ``base/outside`` (the secret); returns ``base``."""
    base = tmp_path_factory.mktemp("layout")
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_text(SECRET + "\n")
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "inside.csv").write_text(INSIDE_HEADER + "\n")
    (root / "sub" / "inside.csv").write_text(INSIDE_HEADER + "\n")
    (root / "link_out").symlink_to(base / "outside")
    (root / "link_secret").symlink_to(base / "outside" / "secret.txt")
    (root / "link_in").symlink_to(root / "sub")
    (root / "loop").symlink_to(root / "loop")
    return base


def root_of(layout: Path) -> Root:
    return Root.of(layout / "root", "the test root")


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [
        ("inside.csv", "inside.csv"),
        ("sub/inside.csv", "sub/inside.csv"),
        ("sub/../inside.csv", "inside.csv"),
        ("./sub/./inside.csv", "sub/inside.csv"),
        ("link_in/inside.csv", "sub/inside.csv"),  # a link that stays inside is followed
        ("new/folder", "new/folder"),  # not there yet: an output folder to make
        ("", "."),
    ],
)
def test_paths_inside_the_root_resolve_to_their_real_place(
    layout: Path, given_path: str, expected: str
) -> None:
    root = root_of(layout)
    assert inside(given_path, "csv", [root]) == (root.folder / expected).resolve()


def test_an_absolute_path_inside_the_root_is_accepted(layout: Path) -> None:
    root = root_of(layout)
    assert inside(str(layout / "root" / "inside.csv"), "csv", [root]) == root.folder / "inside.csv"


@pytest.mark.parametrize(
    ("given_path", "how"),
    [
        ("/etc/passwd", "an absolute path outside"),
        ("{base}/outside/secret.txt", "an absolute path outside"),
        ("../outside/secret.txt", "'..' leads out of"),
        ("sub/../../outside/secret.txt", "'..' leads out of"),
        ("..", "'..' leads out of"),
        ("link_out/secret.txt", "a symbolic link leads out of"),
        ("link_secret", "a symbolic link leads out of"),
        ("link_in/../link_out", "a symbolic link leads out of"),
        ("~/.env", "~ is not expanded"),
        ("~root/.bashrc", "~ is not expanded"),
        ("~", "~ is not expanded"),
        ("loop/x.csv", "cannot be resolved"),
        ("a\x00b", "NUL"),
    ],
)
def test_paths_leaving_the_root_are_refused_naming_the_field_and_the_root(
    layout: Path, given_path: str, how: str
) -> None:
    root = root_of(layout)
    text = given_path.format(base=layout)
    with pytest.raises(InvalidArgumentError) as caught:
        inside(text, "audience.csv", [root])
    message = str(caught.value)
    assert caught.value.field == "audience.csv" and caught.value.value == text
    assert how in message
    if how != "NUL":
        assert str(root) in message, "the root is named, so the person knows where paths may go"


def test_several_roots_relative_to_the_first_and_absolute_inside_any(layout: Path) -> None:
    first, second = root_of(layout), Root.of(layout / "outside", "the second root")
    assert inside("inside.csv", "f", [first, second]) == first.folder / "inside.csv"
    assert inside(str(layout / "outside" / "secret.txt"), "f", [first, second]) == (
        second.folder / "secret.txt"
    )
    with pytest.raises(InvalidArgumentError, match=r"the test root .* or the second root"):
        inside("/etc/passwd", "f", [first, second])


def test_the_work_root_is_the_working_directory_unless_the_setting_names_one(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WORK_ROOT_ENV, raising=False)
    monkeypatch.chdir(layout / "root")
    assert [r.folder for r in work_roots()] == [(layout / "root").resolve()]
    monkeypatch.setenv(WORK_ROOT_ENV, f"{layout / 'outside'}{os.pathsep}{layout / 'root' / 'sub'}")
    assert [r.folder for r in work_roots()] == [
        (layout / "outside").resolve(),
        (layout / "root/sub").resolve(),
    ]
    monkeypatch.setenv(WORK_ROOT_ENV, str(layout / "nowhere"))
    with pytest.raises(InvalidArgumentError, match=f"{WORK_ROOT_ENV}=.*nowhere.*not an existing folder"):
        work_roots()
    monkeypatch.setenv(WORK_ROOT_ENV, os.pathsep)
    with pytest.raises(InvalidArgumentError, match=f"{WORK_ROOT_ENV}=.*names no folder"):
        work_roots()


def test_the_guard_is_what_keeps_the_secret_out(layout: Path) -> None:
    """Without the check, a CSV error quotes the header row: the leak these tests guard against."""
    with pytest.raises(AudienceFileError, match=SECRET):
        read_audience_csv(layout / "outside" / "secret.txt", {}, "x.csv")
    with pytest.raises(AudienceFileError) as caught:
        resolve_audience(AudienceSpec(csv="../outside/secret.txt"), [root_of(layout)])
    assert SECRET not in str(caught.value)
    assert caught.value.problems == [
        "audience.csv: refused: '..' leads out of the test root "
        f"{(layout / 'root').resolve()} (got '../outside/secret.txt')"
    ]


NAMED = ["..", ".", "sub", "inside.csv", "link_in", "link_out", "link_secret", "secret.txt", "outside"]
SEGMENTS = st.one_of(
    st.sampled_from([*NAMED, "root", "~", "loop"]),
    st.text(alphabet="ab.~-/", min_size=1, max_size=4),  # odd names, stray slashes and dots
)
PREFIXES = st.sampled_from(["", "/", "{base}/", "{base}/root/", "~/", "~root/", "./", "../"])


@settings(max_examples=300, deadline=None)
@given(prefix=PREFIXES, segments=st.lists(SEGMENTS, max_size=6))
def test_any_path_resolves_inside_the_root_or_is_refused_and_never_shows_the_outside(
    layout: Path, prefix: str, segments: list[str]
) -> None:
    root = root_of(layout)
    text = prefix.format(base=layout) + "/".join(segments)
    try:
        resolved = inside(text, "audience.csv", [root])
    except InvalidArgumentError as exc:
        assert str(exc).startswith("audience.csv=") and SECRET not in str(exc)
    else:
        assert resolved.is_relative_to(root.folder)
        assert resolved == Path(os.path.realpath(root.folder / text))
    try:
        resolve_audience(AudienceSpec(csv=text), [root])
    except AudienceFileError as exc:
        assert SECRET not in str(exc), "no content of a file outside the root"
