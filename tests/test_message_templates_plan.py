"""One app's template writes, planned: only kev: names, equal means no write, the oldest of a name stays."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from kaltura_events.api.messaging_models import EmailTemplate
from kaltura_events.planning.message_templates import plan_templates, wanted
from kaltura_events.planning.messages import MessagesSpec, SeriesMessages

GUID = "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c"
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SPEC = MessagesSpec.model_validate(
    {
        "from": {"email": "events@acme.example"},
        "unsubscribe_group": "acme-events",
        "templates": {
            "reminder": {"subject": "Soon: {eventName}", "body_file": "r.html"},
            "thanks": {"subject": "Thanks", "body_file": "t.html"},
        },
        "send": [{"template": "reminder", "before": "1h", "to": "invited"}],
    }
)
MESSAGES = SeriesMessages(SPEC, {"reminder": "<a href='{joinLink}'>join</a>", "thanks": "<p>{unsubLink}</p>"})


def existing(key: str, number: int, **changes: Any) -> EmailTemplate:
    """The template the service would hold for ``key``, as created ``number`` minutes after T0."""
    content = wanted(MESSAGES)[key]
    fields: dict[str, Any] = {
        "id": f"{number:024x}",
        "appGuid": GUID,
        "name": content.name,
        "subject": content.subject,
        "body": content.body,
        "toAttributePath": content.to_attribute_path,
        "msgParamsMap": {name: {"type": kind} for name, kind in content.msg_params_map.items()},
        "from": content.from_address,
        "unsubscribeGroups": list(content.unsubscribe_groups),
        "status": "enabled",
        "createdAt": (T0 + timedelta(minutes=number)).isoformat(),
        **changes,
    }
    return EmailTemplate.model_validate(fields)


def test_tokens_map_exactly_what_the_template_uses_and_the_recipient() -> None:
    content = wanted(MESSAGES)
    assert content["reminder"].msg_params_map == {
        "eventName": "String",
        "joinLink": "MagicLink",
        "recipient": "User",
    }
    assert content["thanks"].msg_params_map == {"recipient": "User", "unsubLink": "UnsubscribeUri"}
    assert content["thanks"].from_name is None, "the file names no sender name: left as the service has it"


def test_equal_templates_make_no_write_and_give_their_ids() -> None:
    plan = plan_templates(GUID, MESSAGES, [existing("reminder", 1), existing("thanks", 2, fromName="X")])
    assert plan.writes == 0
    assert plan.unchanged == {"reminder": f"{1:024x}", "thanks": f"{2:024x}"}


def test_a_disabled_or_changed_template_is_updated_naming_the_fields() -> None:
    plan = plan_templates(
        GUID, MESSAGES, [existing("reminder", 1, status="disabled"), existing("thanks", 2, subject="Old")]
    )
    assert [(u.key, u.fields) for u in plan.update] == [("reminder", ("enabled",)), ("thanks", ("subject",))]


def test_only_our_names_are_touched_and_deleted_ones_stay_deleted() -> None:
    theirs = existing("reminder", 1, name="Reminder (by hand)")
    gone = existing("reminder", 2, status="deleted")
    plan = plan_templates(GUID, MESSAGES, [theirs, gone, existing("thanks", 3)])
    assert plan.create == ("reminder",) and not plan.delete and not plan.update


def test_the_oldest_of_a_name_stays_whatever_order_the_list_gives() -> None:
    newer, older = existing("thanks", 9, subject="Old"), existing("thanks", 4)
    plan = plan_templates(GUID, MESSAGES, [newer, existing("reminder", 1), older])
    assert [d.template_id for d in plan.delete] == [newer.id]
    assert plan.unchanged["thanks"] == older.id and not plan.update


def test_a_key_gone_from_the_file_is_deleted() -> None:
    missed = existing("thanks", 5, name="kev:missed")
    plan = plan_templates(GUID, MESSAGES, [existing("reminder", 1), existing("thanks", 2), missed])
    assert [(d.name, d.why) for d in plan.delete] == [("kev:missed", "its key is no longer in the file")]
