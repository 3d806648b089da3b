"""People as flow parameters: an email and a name, checked where they are entered.

Speakers and team members are both identified by email, since that is what
a producer knows and what the API matches invitations on; the ids the
platform assigns are looked up, never typed in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from kaltura_events.errors import InvalidArgumentError
from kaltura_events.validation import MAX_NAME_LENGTH

_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\".]+(\.[^@\s,;<>\".]+)+$")
MAX_EMAIL_LENGTH = 254


def require_email(field: str, value: Any) -> str:
    """One address, no display name: ``Jane <jane@x.com>`` or a list would be sent as given otherwise."""
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value.strip()):
        raise InvalidArgumentError(field, value, "expected one email address such as jane@example.com")
    return value.strip()


def email_key(email: str) -> str:
    """How two addresses are compared: the platform treats them case-insensitively."""
    return email.strip().lower()


Email = Annotated[
    str,
    AfterValidator(lambda value: require_email("email", value)),
    Field(examples=["jane@example.com"]),
]
PersonName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"\S")]
