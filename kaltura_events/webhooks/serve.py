"""``kaltura-events webhooks serve``: settle every setting, then run the receiver on uvicorn.

Every setting is checked before the socket opens, so a forgotten export is
one line on stderr and exit status 1, not a server that answers 401 to every
notification. The admin secret comes from the credentials the rest of the
project uses: a named Block (``--credentials``), else the ``KALTURA_*``
variables when ``KALTURA_ADMIN_SECRET`` is set, else the default Block.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from collections.abc import Mapping
from typing import Any

from kaltura_events.webhooks.config import (
    DEFAULT_HASH_ALGO,
    DEFAULT_MAX_BODY_BYTES,
    LOGGER_NAME,
    PREFECT_API_KEY_ENV,
    PREFECT_API_URL_ENV,
    PREFECT_AUTH_STRING_ENV,
    ReceiverConfig,
    WebhookConfigError,
    settings_from_env,
)
from kaltura_events.webhooks.signature import HASH_ALGOS


def admin_secret(credentials_name: str | None, environ: Mapping[str, str]) -> tuple[int, str]:
    """The partner id and admin secret Kaltura signs notifications with.

    Kaltura's server hashes with the partner admin secret, so credentials
    holding only a KS or an app token cannot check a signature.
    """
    from kaltura_events.credentials import KalturaCredentials

    if credentials_name is None and environ.get("KALTURA_ADMIN_SECRET"):
        credentials = KalturaCredentials.from_env(dict(environ))
        where = "the KALTURA_* variables"
    else:
        from kaltura_events.credentials import DEFAULT_CREDENTIALS_NAME

        name = credentials_name or DEFAULT_CREDENTIALS_NAME
        where = f"the Kaltura Credentials Block {name!r}"
        try:
            loaded = KalturaCredentials.load(name)
        except ValueError as exc:  # Prefect's "Unable to find block document named ..."
            hint = (
                ""
                if credentials_name
                else "; or export KALTURA_ADMIN_SECRET, KALTURA_PARTNER_ID and KALTURA_USER_ID"
            )
            raise WebhookConfigError(f"cannot load {where}: {exc}{hint}") from None
        assert isinstance(loaded, KalturaCredentials)
        credentials = loaded
    if credentials.admin_secret is None or credentials.partner_id is None:
        raise WebhookConfigError(
            f"{where} hold no admin secret: Kaltura signs notifications with the partner admin secret "
            "(KALTURA_ADMIN_SECRET)"
        )
    return credentials.partner_id, credentials.admin_secret.get_secret_value()


def with_prefect_profile(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment, with the Prefect API settings the active profile adds where it sets none.

    Prefect reads the environment first, then the profile
    (``prefect config set PREFECT_API_URL=...``); the receiver itself reads only
    variables, so the command fills them in as Prefect would resolve them.
    """
    from prefect.settings import get_current_settings

    api = get_current_settings().api
    profile = {
        PREFECT_API_URL_ENV: str(api.url) if api.url else "",
        PREFECT_API_KEY_ENV: api.key.get_secret_value() if api.key else "",
        PREFECT_AUTH_STRING_ENV: api.auth_string.get_secret_value() if api.auth_string else "",
    }
    env = dict(environ)
    for name, value in profile.items():
        if value and not env.get(name):
            env[name] = value
    return env


def build_config(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ReceiverConfig:
    env = with_prefect_profile(os.environ) if environ is None else environ
    settings: dict[str, Any] = settings_from_env(env)
    partner_id, secret = admin_secret(args.credentials, env)
    return ReceiverConfig(
        **settings,
        admin_secret=secret,
        partner_id=partner_id,
        hash_algo=args.hash_algo,
        max_body_bytes=args.max_body_bytes,
    )


def run_serve(args: argparse.Namespace) -> int:
    import httpx
    import uvicorn
    from pydantic import ValidationError

    from kaltura_events.api.errors import KalturaError
    from kaltura_events.webhooks.receiver import create_app

    try:
        config = build_config(args)
    except (KalturaError, ValidationError) as exc:  # CredentialsError and WebhookConfigError among them
        print(f"kaltura-events webhooks serve: {_one_line(exc)}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"kaltura-events webhooks serve: the Prefect API did not answer: {exc}", file=sys.stderr)
        return 1
    print(
        f"Kaltura webhook receiver for partner {config.partner_id}: POST http://{args.host}:{args.port}"
        f"/kaltura/${{KALTURA_WEBHOOK_TOKEN}}, {config.hash_algo} signatures, events to "
        f"{config.prefect_api_url}/events. Ctrl-C stops it.",
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=args.host,
            port=args.port,
            # An access log line would carry the path, and the path carries the token.
            access_log=False,
            log_config=log_config(),
            server_header=False,
        )
    )
    server.run()
    return 0


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the receiver's own logger at INFO on the same stderr handler.

    Without a handler of its own the receiver's logger falls through to
    Python's last-resort handler, which prints WARNING and above only: every
    refusal was logged, and no accepted notification.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"][LOGGER_NAME] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _one_line(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):  # a saved Block no longer valid: fields, never values
        return "credentials: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'credentials'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def _byte_count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_serve(actions: Any, default_credentials: str) -> None:
    """Add ``serve`` to the ``webhooks`` command's actions (the object ``add_subparsers()`` returned).

    ``default_credentials`` is the project's default Block name, passed in so
    that ``--help`` need not import Prefect to show it.
    """
    parser = actions.add_parser(
        "serve",
        help="receive Kaltura HTTP notifications and hand them to Prefect as events",
        description=(
            "Serve POST /kaltura/$KALTURA_WEBHOOK_TOKEN: check Kaltura's signature with the partner admin "
            "secret, turn each notification into one Prefect event and post it to "
            "$PREFECT_API_URL/events; answer 200 only once Prefect accepted it. Plain HTTP: expose it "
            "to Kaltura through an HTTPS reverse proxy or tunnel."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    parser.add_argument(
        "--hash-algo",
        choices=HASH_ALGOS,
        default=DEFAULT_HASH_ALGO,
        help=f"the only algorithm accepted; set the template's to the same (default {DEFAULT_HASH_ALGO})",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=_byte_count,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"larger bodies get 413 (default {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--credentials",
        metavar="NAME",
        default=None,
        help="Kaltura Credentials Block holding the admin secret (default: KALTURA_ADMIN_SECRET and the "
        f"other KALTURA_* variables when set, else the Block {default_credentials!r})",
    )
    parser.set_defaults(handler=run_serve)
