"""`kaltura-events webhooks serve` settles every setting before it listens: one line and exit 1 if not."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import SecretStr

from kaltura_events.cli import main
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.webhooks import serve
from kaltura_events.webhooks.config import WebhookConfigError
from tests.webhooks.samples import SECRET, TOKEN

ENV = {
    "KALTURA_WEBHOOK_TOKEN": TOKEN,
    "PREFECT_API_URL": "http://127.0.0.1:9/api",
    "KALTURA_ADMIN_SECRET": SECRET,
    "KALTURA_PARTNER_ID": "4242",
    "KALTURA_USER_ID": "hooks@example.com",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [*ENV, "PREFECT_API_KEY", "KALTURA_KS", "KALTURA_APP_TOKEN_ID", "KALTURA_APP_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return dict(ENV)


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["webhooks", "serve", "--port", "1", *args]) == 1  # port 1 would fail if it got that far
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert SECRET not in err and TOKEN not in err
    return lines[0]


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("KALTURA_WEBHOOK_TOKEN", "KALTURA_WEBHOOK_TOKEN is not set"),
        ("PREFECT_API_URL", "PREFECT_API_URL is not set"),
    ],
)
def test_a_missing_variable_is_named_on_one_line(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unset: str,
    named: str,
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv(unset)
    # Nor in the active profile (or a test harness's settings): the receiver follows those too.
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert named in _refused(capsys)


@pytest.mark.parametrize("token", ["short", "has/a/slash-0123456789", "space in the token 0123"])
def test_a_token_that_is_short_or_not_url_safe_is_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    monkeypatch.setenv("KALTURA_WEBHOOK_TOKEN", token)
    line = _refused(capsys)
    assert "KALTURA_WEBHOOK_TOKEN must be at least 16 characters" in line and token not in line


def test_a_prefect_api_url_that_is_not_http_is_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "127.0.0.1:4200/api")
    assert "PREFECT_API_URL must be an http(s) URL" in _refused(capsys)


def test_an_admin_secret_without_the_rest_of_the_credentials_is_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KALTURA_USER_ID")
    assert "KALTURA_USER_ID" in _refused(capsys)


def test_credentials_without_an_admin_secret_cannot_check_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    ks_only = KalturaCredentials(ks=SecretStr("a-ready-ks"))
    monkeypatch.setattr(KalturaCredentials, "load", classmethod(lambda cls, name: ks_only))
    with pytest.raises(WebhookConfigError, match="'hooks' hold no admin secret"):
        serve.admin_secret("hooks", {})


def test_the_environment_wins_over_the_default_block_and_a_named_block_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = KalturaCredentials(partner_id=7, user_id="u", admin_secret=SecretStr("from-the-block"))
    monkeypatch.setattr(KalturaCredentials, "load", classmethod(lambda cls, name: saved))
    assert serve.admin_secret(None, ENV) == (4242, SECRET)
    assert serve.admin_secret("hooks", ENV) == (7, "from-the-block")
    assert serve.admin_secret(None, {}) == (7, "from-the-block")


def test_help_needs_no_prefect_import() -> None:
    code = (
        "import sys\n"
        "from kaltura_events.cli import build_parser\n"
        "build_parser()\n"
        "assert 'prefect' not in sys.modules, 'building the parser imported prefect'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    shown = subprocess.run(
        [sys.executable, "-m", "kaltura_events.cli", "webhooks", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "--hash-algo {sha1,sha256,sha512}" in shown and "'kaltura'" in shown


def test_the_prefect_server_of_the_active_profile_is_used_where_the_environment_names_none() -> None:
    """`prefect config set PREFECT_API_URL=...` writes the profile: the receiver must follow it as
    Prefect does, and a variable that is set still wins."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from kaltura_events.webhooks.serve import with_prefect_profile

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4321/api"}):
        assert with_prefect_profile({})["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
        chosen = with_prefect_profile({"PREFECT_API_URL": "http://127.0.0.1:9999/api"})
        assert chosen["PREFECT_API_URL"] == "http://127.0.0.1:9999/api"
