"""What one event app's email templates should be, and the writes that get them there.

Pure: the caller lists the app's templates and makes the writes. A template
we own is named ``kev:<template key>`` (:func:`template_name`); nothing else
in the app is ever touched, so a producer's own templates live beside ours.

Converging is what every run does: a template missing is created, one whose
content differs from the file's is updated, an equal one is left alone (a
re-run makes no write). Two with one name (two runs that created at once, or
an add whose answer was lost and whose look-up missed it) are mended to one:
the oldest stays, since a send in flight may already name it, and the others
are deleted. A ``kev:`` template whose key the file no longer has is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kaltura_events.api.messaging_models import EmailTemplate
from kaltura_events.planning.messages import (
    RECIPIENT_TOKEN,
    TEMPLATE_NAME_PREFIX,
    TOKEN_TYPES,
    SeriesMessages,
    template_name,
    tokens_in,
)

TO_ATTRIBUTE_PATH = "{" + RECIPIENT_TOKEN + ".email}"
"""§5.1: each message goes to its recipient's own address."""

_OLDEST_FIRST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class TemplateContent:
    """The fields of a template we set, in a form two templates compare by."""

    name: str
    subject: str
    body: str
    msg_params_map: Mapping[str, str]
    """Token name -> Messaging type: exactly the tokens the subject and body use, and the recipient."""
    to_attribute_path: str
    from_address: str
    from_name: str | None
    """None: the file names no sender name, and whatever the template has is left as it is."""
    unsubscribe_groups: tuple[str, ...]
    enabled: bool = True

    def settable(self) -> dict[str, Any]:
        """The fields both ``add_template`` and ``update_template`` take, as their keyword arguments."""
        return {
            "subject": self.subject,
            "body": self.body,
            "msg_params_map": self.msg_params_map,
            "to_attribute_path": self.to_attribute_path,
            "from_address": self.from_address,
            "from_name": self.from_name,
            "unsubscribe_groups": self.unsubscribe_groups,
        }

    def differs_from(self, other: TemplateContent) -> list[str]:
        """The fields ``other`` (what exists) would have to change to be this; [] when equal."""
        differ = [
            name
            for name in (
                "subject",
                "body",
                "msg_params_map",
                "to_attribute_path",
                "from_address",
                "unsubscribe_groups",
                "enabled",
            )
            if getattr(self, name) != getattr(other, name)
        ]
        if self.from_name is not None and self.from_name != other.from_name:
            differ.append("from_name")
        return differ


def wanted(messages: SeriesMessages) -> dict[str, TemplateContent]:
    """Each template of the block as the service should hold it, by template key."""
    spec = messages.spec
    found: dict[str, TemplateContent] = {}
    for key, template in spec.templates.items():
        body = messages.bodies[key]
        used = {name for name, _ in tokens_in(template.subject) + tokens_in(body)} | {RECIPIENT_TOKEN}
        found[key] = TemplateContent(
            name=template_name(key),
            subject=template.subject,
            body=body,
            msg_params_map={name: TOKEN_TYPES[name] for name in sorted(used)},
            to_attribute_path=TO_ATTRIBUTE_PATH,
            from_address=spec.sender.email,
            from_name=spec.sender.name or None,
            unsubscribe_groups=(spec.unsubscribe_group,),
        )
    return found


def content_of(template: EmailTemplate) -> TemplateContent:
    return TemplateContent(
        name=template.name,
        subject=template.subject,
        body=template.body,
        msg_params_map={
            name: str(kind.get("type", "")) for name, kind in sorted(template.msg_params_map.items())
        },
        to_attribute_path=template.to_attribute_path,
        from_address=template.from_address or "",
        from_name=template.from_name or None,
        unsubscribe_groups=tuple(template.unsubscribe_groups),
        enabled=template.enabled,
    )


def ours(templates: Sequence[EmailTemplate]) -> list[EmailTemplate]:
    """The app's live templates named by us (``kev:``); deleted ones stay deleted and are not ours to mend."""
    return [t for t in templates if t.name.startswith(TEMPLATE_NAME_PREFIX) and t.status != "deleted"]


@dataclass(frozen=True)
class TemplateUpdate:
    key: str
    template_id: str
    fields: tuple[str, ...]
    """Which fields differ: what the plan says changes."""


@dataclass(frozen=True)
class TemplateDelete:
    name: str
    template_id: str
    why: str


@dataclass(frozen=True)
class TemplatePlan:
    """One app's writes, and the ids of the templates that already are as the file says."""

    app_guid: str
    content: Mapping[str, TemplateContent]
    unchanged: Mapping[str, str] = field(default_factory=dict)
    """Template key -> id of a template left as it is."""
    create: tuple[str, ...] = ()
    update: tuple[TemplateUpdate, ...] = ()
    delete: tuple[TemplateDelete, ...] = ()

    @property
    def writes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def plan_templates(
    app_guid: str, messages: SeriesMessages, existing: Sequence[EmailTemplate]
) -> TemplatePlan:
    """The writes that make this app's ``kev:`` templates the block's templates, nothing more."""
    content = wanted(messages)
    by_name: dict[str, list[EmailTemplate]] = {}
    for template in sorted(ours(existing), key=lambda t: (t.created_at or _OLDEST_FIRST, t.id)):
        by_name.setdefault(template.name, []).append(template)
    unchanged: dict[str, str] = {}
    create: list[str] = []
    update: list[TemplateUpdate] = []
    delete: list[TemplateDelete] = []
    for key, want in content.items():
        found = by_name.pop(want.name, [])
        if not found:
            create.append(key)
            continue
        kept, *extra = found
        delete += [TemplateDelete(want.name, t.id, "a second of this name; the oldest stays") for t in extra]
        differ = want.differs_from(content_of(kept))
        if differ:
            update.append(TemplateUpdate(key, kept.id, tuple(differ)))
        else:
            unchanged[key] = kept.id
    for name, left in sorted(by_name.items()):
        delete += [TemplateDelete(name, t.id, "its key is no longer in the file") for t in left]
    return TemplatePlan(app_guid, content, unchanged, tuple(create), tuple(update), tuple(delete))
