"""One exception tree for the Events Platform, API v3, the App Registry, User Profile and Messaging.

Every message names the endpoint and carries the API's own words. None ever
carries a KS or a secret: requests put the KS in a header or body, and no
exception here is built from either.
"""

from __future__ import annotations

from typing import Any


class KalturaError(Exception):
    """Base of everything this package raises on purpose."""

    def while_looking(self, lookup: BaseException) -> KalturaError:
        """This write's failure, now also saying that the look-up for its result failed.

        Keeps the write's type (so what is retried stays what was retried) and
        names the write first: ``events/create: HTTP 502: ...; looking for
        what it may have created, events/list: HTTP 502: ...``.
        """
        self.args = (f"{self}; looking for what it may have created, {lookup}",)
        return self


class InvalidArgumentError(KalturaError, ValueError):
    """A caller's argument is wrong; raised before any request is sent."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}={shown}: {reason}")


class KsParseError(KalturaError):
    """A KS that does not decrypt, or whose signature does not match."""


class IncompleteListingError(KalturaError):
    """Paging did not add up to ``totalCount``; acting on it could create duplicates."""

    def __init__(self, endpoint: str, collected: int, total: int) -> None:
        self.endpoint = endpoint
        self.collected = collected
        self.total = total
        super().__init__(
            f"{endpoint}: paging collected {collected} distinct items but the API reported "
            f"totalCount={total}; refusing to act on a partial listing "
            "(is the server treating pager.offset as a page index?)"
        )


class ApiError(KalturaError):
    """The API answered, and said no."""

    status_code: int | None = None
    retryable = False

    def __init__(self, endpoint: str, message: str, *, status_code: int | None = None) -> None:
        self.endpoint = endpoint
        self.api_message = message
        if status_code is not None:
            self.status_code = status_code
        prefix = f"{endpoint}: HTTP {self.status_code}" if self.status_code else endpoint
        super().__init__(f"{prefix}: {message}")


class UnexpectedResponseError(ApiError):
    """An answer the client cannot read: not JSON, JSON cut off, or JSON of another shape.

    Most often a proxy's or gateway's HTML page sent with HTTP 200. Like a 5xx
    it is retried, and after a write it is ambiguous (the server behind the
    proxy may have committed), so a write that can look for what it made looks
    before it tries again. The message carries the content type and a short,
    scrubbed excerpt of the body, never a header or a KS.
    """

    retryable = True

    def __init__(
        self,
        endpoint: str,
        *,
        status_code: int,
        content_type: str,
        excerpt: str,
        problem: str,
        expected: str,
    ) -> None:
        self.content_type = content_type
        self.excerpt = excerpt
        self.problem = problem
        self.expected = expected
        shown = f"body {excerpt!r}" if excerpt else "empty body"
        super().__init__(
            endpoint,
            f"unreadable answer, {problem}: expected {expected}; "
            f"got {content_type or 'no content type'}, {shown}",
            status_code=status_code,
        )


class BadRequestError(ApiError):
    status_code = 400


class AuthenticationError(ApiError):
    status_code = 401


class CredentialsRefused(AuthenticationError):
    """The API refused the credentials themselves: a fresh KS too, or the KS could not be made.

    Nothing a retry or a renewal can mend: a wrong admin secret, a given KS
    that expired, a disabled app token. Its message is one line, the same a
    command prints and a flow run's state message carries: the API's words
    (which check failed) and then what to change, naming the setting and never
    its value: ``events/list: HTTP 401: the KS signature is invalid: check
    KALTURA_ADMIN_SECRET (the Block's admin_secret) for partner 123``.
    """

    def __init__(self, refused: AuthenticationError, advice: str) -> None:
        self.refused = refused
        self.advice = advice
        super().__init__(
            refused.endpoint, f"{refused.api_message}: {advice}", status_code=refused.status_code
        )


class PermissionDeniedError(ApiError):
    status_code = 403


class NotFoundError(ApiError):
    status_code = 404


class RetryAfterError(ApiError):
    """An answer that may say how long to wait before trying again (``Retry-After``)."""

    retryable = True

    def __init__(
        self, endpoint: str, message: str, *, retry_after: float | None = None, status_code: int | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(endpoint, message, status_code=status_code)


class RateLimitedError(RetryAfterError):
    status_code = 429


class ServerError(RetryAfterError):
    """5xx. On a write, the server may have committed before failing."""

    status_code = 500


class TransportError(KalturaError):
    """No answer: a timeout or a dropped connection. On a write, the outcome is unknown."""

    retryable = True

    def __init__(self, endpoint: str, what: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"{endpoint}: {what}")


class RequestTimeoutError(TransportError):
    pass


class ConnectionFailedError(TransportError):
    """``before_send`` is true when no connection was ever made, so nothing can have been written."""

    def __init__(self, endpoint: str, what: str, *, before_send: bool = False) -> None:
        self.before_send = before_send
        super().__init__(endpoint, what)


class OutcomeUnknownError(KalturaError):
    """A write that must not be repeated blind failed after it may have reached the server.

    Raised instead of retrying a write that is not idempotent (``message/send``:
    a 500 may come after the emails were queued, and no guide rules it out).
    Not retryable, so neither the client nor a Prefect task repeats it: the
    caller looks at what was done (the advice says where) before writing
    again. ``failure`` is the error that made the outcome unknown.
    """

    retryable = False

    def __init__(self, failure: KalturaError, advice: str) -> None:
        self.failure = failure
        self.endpoint: str = getattr(failure, "endpoint", "")
        self.status_code: int | None = getattr(failure, "status_code", None)
        super().__init__(f"{failure}; not retried, it may have been done: {advice}")


class ApiV3Error(ApiError):
    """A ``KalturaAPIException``: API v3 answers these with HTTP 200, and so do the App Registry and
    User Profile services for an application error (their guides' §13)."""

    def __init__(self, endpoint: str, code: str, message: str, args: Any = None) -> None:
        self.code = code
        self.error_args = args
        super().__init__(endpoint, f"{code}: {message}")


class CategoriesLockedError(ApiV3Error):
    """Another category delete holds the partner's category lock; wait and retry."""

    retryable = True


class ApiV3NotFoundError(ApiV3Error, NotFoundError):
    pass


class ApiV3TransientError(ApiV3Error):
    """A refusal the guide says to retry with backoff (User Profile §13: ``SESSION_START_FAILED``)."""

    retryable = True


class ApiV3AuthenticationError(ApiV3Error, AuthenticationError):
    pass


class ApiV3PermissionError(ApiV3Error, PermissionDeniedError):
    pass


_V3_CODES: dict[str, type[ApiV3Error]] = {
    "CATEGORIES_LOCKED": CategoriesLockedError,
    "CATEGORY_NOT_FOUND": ApiV3NotFoundError,
    "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND": ApiV3NotFoundError,
    "ENTRY_ID_NOT_FOUND": ApiV3NotFoundError,
    # A token id, hash or state that is wrong is a credentials problem: fix them, do not retry.
    # APP_TOKEN_ID_NOT_FOUND is not in the guides (they name INVALID_APP_TOKEN_ID) but is
    # Kaltura's server constant for the same refusal; both read the same.
    "INVALID_APP_TOKEN_ID": ApiV3AuthenticationError,
    "APP_TOKEN_ID_NOT_FOUND": ApiV3AuthenticationError,
    "INVALID_APP_TOKEN_HASH": ApiV3AuthenticationError,
    "APP_TOKEN_NOT_ACTIVE": ApiV3AuthenticationError,
    "EXPIRED_TOKEN": ApiV3AuthenticationError,
    "MISSING_KS": ApiV3AuthenticationError,
    "INVALID_KS": ApiV3AuthenticationError,
    "EXPIRED_KS": ApiV3AuthenticationError,
    "START_SESSION_ERROR": ApiV3AuthenticationError,
    "SERVICE_FORBIDDEN": ApiV3PermissionError,
    "INVALID_USER_ID": ApiV3NotFoundError,
    # App Registry and User Profile (their guides' §13): ids naming nothing are final, as a 404 is.
    "OBJECT_NOT_FOUND": ApiV3NotFoundError,
    "USER_PROFILE_NOT_FOUND": ApiV3NotFoundError,
    "UNKNOWN_PARTNER_ID": ApiV3AuthenticationError,
    "SESSION_START_FAILED": ApiV3TransientError,
}
"""Messaging (its guide's §13) names no not-found code; the emulator answers the App Registry's
``OBJECT_NOT_FOUND``. Its bulk codes (``noActiveGroups``...) are final refusals: ``ApiV3Error``."""


def api_v3_error(endpoint: str, code: str, message: str, args: Any = None) -> ApiV3Error:
    """Map an API v3 exception code to the most specific class we have."""
    return _V3_CODES.get(code, ApiV3Error)(endpoint, code, message, args)
