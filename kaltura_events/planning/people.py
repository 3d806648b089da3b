"""People as flow parameters: an email and a name, checked where they are entered.

Speakers and team members are both identified by email, since that is what
a producer knows and what the API matches invitations on; the ids the
platform assigns are looked up, never typed in.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from kaltura_events.api.validation import MAX_NAME_LENGTH, require_email


def email_key(email: str) -> str:
    """How two addresses are compared: the platform treats them case-insensitively."""
    return email.strip().lower()


Email = Annotated[
    str,
    AfterValidator(lambda value: require_email("email", value)),
    Field(examples=["jane@example.com"]),
]
PersonName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"\S")]
