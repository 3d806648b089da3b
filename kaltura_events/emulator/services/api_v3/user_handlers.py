"""API v3 ``user``: the partner's users, as far as User Profile needs them (its guide §3).

No reference in ``/work/shared/reference`` documents ``user.add`` or ``user.get``
themselves; their parameters and codes are kaltura/server's
``api_v3/services/UserService.php`` (``user`` a KalturaUser with ``id``;
``userId``; ``DUPLICATE_USER_BY_ID``, ``INVALID_USER_ID``).
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.auth import check_v3_ks
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.api_v3.params import Params, missing, object_param, required


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def user_add(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    user = object_param(params, "user")
    user_id = user.get("id")
    if user_id is None or user_id == "":
        raise missing("user:id")
    return backend.add_user(
        str(user_id), _text(user.get("email")), _text(user.get("firstName")), _text(user.get("lastName"))
    )


async def user_get(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    return backend.get_user(str(required(params, "userId")))
