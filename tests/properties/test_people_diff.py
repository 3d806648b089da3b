"""The event's people diff on generated audiences, speakers and observed users (pure, many examples).

What must always hold, whatever the case of the emails and whoever is
already there: every wanted person is invited exactly when nobody with that
email (in any case) is on the event; an update never takes a role away; only
attendees the audience no longer lists are removed, never a speaker or
moderator, only with ``remove_unlisted``, and never more than
``max_removals``: past it, nobody is removed and the refusal is counted.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.models import EventUser
from kaltura_events.planning.audience import (
    ATTENDEE_ROLE,
    AudiencePerson,
    ResolvedAudience,
    people_changes,
    wanted_users,
)
from kaltura_events.planning.people import email_key

LOCALS = [f"p{i}" for i in range(12)]
ROLES = ("Attendees", "Speaker", "Moderator")


def cased(draw: st.DrawFn, local: str) -> str:
    text = f"{local}@Example.com"
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips, strict=True))


@st.composite
def cases(draw: st.DrawFn) -> tuple[ResolvedAudience, list[tuple[str, str, str]], list[EventUser]]:
    listed = draw(st.lists(st.sampled_from(LOCALS), unique=True, max_size=8))
    people = tuple(
        AudiencePerson(
            email=cased(draw, local),
            first_name=draw(st.sampled_from(("Ann", "Bo"))),
            last_name="X",
            company=draw(st.sampled_from(("", "Acme"))),
        )
        for local in listed
    )
    audience = ResolvedAudience(
        people=people,
        send_invitations=draw(st.booleans()),
        remove_unlisted=draw(st.booleans()),
        max_removals=draw(st.integers(0, 6)),
    )
    speakers = [
        (cased(draw, local), "Spea", "Ker")
        for local in draw(st.lists(st.sampled_from(LOCALS), unique=True, max_size=4))
    ]
    present = draw(st.lists(st.sampled_from(LOCALS), unique=True, max_size=10))
    users = [
        EventUser(
            id=f"u-{local}",
            email=cased(draw, local),
            first_name=draw(st.sampled_from(("Ann", "Bo"))),
            last_name="X",
            roles=sorted(draw(st.sets(st.sampled_from(ROLES), min_size=1))),
        )
        for local in present
    ]
    return audience, speakers, users


@settings(max_examples=200)
@given(cases())
def test_people_changes_keep_their_invariants(
    case: tuple[ResolvedAudience, list[tuple[str, str, str]], list[EventUser]],
) -> None:
    audience, speakers, users = case
    wanted = wanted_users(audience, speakers, "Speaker")
    changes = people_changes(wanted, users, audience)
    present = {email_key(u.email): u for u in users}

    invited = [p.key for p in changes.invite]
    assert len(invited) == len(set(invited)), "nobody is invited twice"
    assert set(invited) == set(wanted) - set(present), "invited exactly when not on the event"
    assert set(changes.user_ids) == set(wanted) & set(present)
    for person in changes.invite:
        assert person.roles == wanted[person.key].roles
        if person.key in {email_key(e) for e, _, _ in speakers} and person.key in {
            p.key for p in audience.people
        }:
            assert person.roles == {ATTENDEE_ROLE, "Speaker"}, "a speaker in the audience holds both roles"

    for update in changes.update:
        user = present[email_key(update.email)]
        if update.roles is not None:
            assert set(update.roles) >= set(user.roles) | wanted[email_key(update.email)].roles
        assert update.user_id == user.id

    unlisted = [k for k, u in present.items() if k not in wanted and set(u.roles) <= {ATTENDEE_ROLE}]
    removed = {email_key(u.email) for u in changes.remove}
    assert all(set(u.roles) == {ATTENDEE_ROLE} for u in changes.remove), "never a speaker or moderator"
    assert not removed & set(wanted)
    if not audience.remove_unlisted:
        assert not removed and changes.refused_removals == 0
    elif len(unlisted) > audience.max_removals:
        assert not removed and changes.refused_removals == len(unlisted)
    else:
        assert removed == set(unlisted) and changes.refused_removals == 0
