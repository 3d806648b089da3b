"""The ways a request can be refused, and the bodies each API uses to say so.

Backends raise these without knowing about HTTP; each service's route turns
them into its error style (``endpoints.ErrorStyle``): an HTTP status plus
``{"status", "message", "field"}`` for the Events Platform, HTTP 200 plus
``KalturaAPIException`` for API v3.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

INTERNAL_ERROR_MESSAGE = "Internal server error"

EVENTS_STATUS_BY_HTTP = {
    400: "InvalidArgument",
    401: "NEW_LOGIN_REQUIRED",
    403: "Forbidden",
    404: "ResourceDoesNotExist",
    429: "RateLimitReached",
    500: "OperationNotAllowed",
    503: "OperationNotAllowed",
}


class EmulatorFailure(Exception):
    """Base of refusals the emulator raises on purpose."""


class BadArgument(EmulatorFailure):
    """A request field the platform refuses: 400 ``InvalidArgument`` naming the field and the value."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}={shown}: {reason}")


class Missing(EmulatorFailure):
    """An id that names nothing: 404 on the Events Platform."""

    def __init__(self, field: str, value: Any, what: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{what} {value!r} does not exist")


class EventsApiFailure(EmulatorFailure):
    """A refusal with an explicit HTTP status (auth problems, conflicts)."""

    def __init__(self, http_status: int, message: str, field: str | None = None) -> None:
        self.http_status = http_status
        self.field = field
        super().__init__(message)


class ApiV3Failure(EmulatorFailure):
    """A ``KalturaAPIException``: ``code`` is what clients branch on."""

    def __init__(self, code: str, message: str, args: dict[str, Any] | None = None) -> None:
        self.code = code
        self.args_map = args or {}
        super().__init__(message)


class CategoriesLocked(ApiV3Failure):
    """Another category delete holds the partner's category lock."""

    def __init__(self) -> None:
        super().__init__(
            "CATEGORIES_LOCKED",
            "Categories are locked by another operation in progress, try again later",
        )


class CategoryMissing(ApiV3Failure):
    def __init__(self, category_id: Any) -> None:
        super().__init__(
            "CATEGORY_NOT_FOUND",
            f"Category id [{category_id}] not found",
            {"CATEGORY_ID": str(category_id)},
        )


def events_error_body(http_status: int, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": EVENTS_STATUS_BY_HTTP.get(http_status, "OperationNotAllowed")}
    body["message"] = message
    if field is not None:
        body["field"] = field
    return body


def events_error(
    http_status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        events_error_body(http_status, message, field), status_code=http_status, headers=headers
    )


def api_v3_error_body(code: str, message: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"objectType": "KalturaAPIException", "code": code, "message": message, "args": args or {}}
