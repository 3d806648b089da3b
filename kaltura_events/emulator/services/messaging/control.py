"""The Messaging service's control endpoints: what a person's mailbox would show, and mailboxes that refuse.

``GET /_emulator/outbox`` lists every email a send rendered (recipient,
subject, body with its tokens filled, session, template), so a test or the
demo can show what each person received. ``/_emulator/bouncing`` marks
addresses whose later messages bounce (§7.2 ``bounce``), and
``/_emulator/unsubscribed`` has a user leave groups as the email's link would
(§7.3 ``unsubscribed``), without a user KS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from kaltura_events.emulator.control_requests import ControlError, backend_control_route, control_route
from kaltura_events.emulator.services.messaging.backend import MessagingBackend

MAX_ITEMS = 10_000


def _strings(body: dict[str, Any], key: str, *, emails: bool = False) -> list[str]:
    values = body.get(key)
    if (
        not isinstance(values, list)
        or not values
        or len(values) > MAX_ITEMS
        or not all(isinstance(v, str) and v and v == v.strip() and ("@" in v or not emails) for v in values)
    ):
        what = "emails" if emails else "non-empty strings"
        raise ControlError(
            f"{key}={values!r}: a non-empty list (at most {MAX_ITEMS}) of {what}, no edge spaces"
        )
    return list(values)


def bouncing(backend: MessagingBackend, body: dict[str, Any]) -> dict[str, Any]:
    """``{"emails"}``: messages sent to these addresses from now on bounce (case-insensitive)."""
    return {"status": "ok", "bouncing": backend.mark_bouncing(_strings(body, "emails", emails=True))}


def unsubscribed(backend: MessagingBackend, body: dict[str, Any]) -> dict[str, Any]:
    """``{"userId", "groups"}``: the user leaves these unsubscribe groups."""
    user_id = body.get("userId")
    if not isinstance(user_id, str) or not user_id.strip():
        raise ControlError(f"userId={user_id!r}: a user id is a non-empty string")
    answer = backend.sync_groups(user_id, _strings(body, "groups"), [])
    return {"status": "ok", **answer}


def messaging_control_routes(current: Callable[[], MessagingBackend]) -> list[BaseRoute]:
    async def outbox(request: Request) -> Response:
        return JSONResponse({"messages": current().outbox()})

    return [
        control_route("outbox", outbox, "GET"),
        backend_control_route("bouncing", bouncing, current),
        backend_control_route("unsubscribed", unsubscribed, current),
    ]
