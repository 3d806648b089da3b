"""Email templates per event app: the Messaging calls, and the function that converges one app.

``converge_templates`` is what both callers use: ``apply`` of the events file
(inside the series lock it holds) and the send flow (before a send, so a
template edited in the file since the last apply is what goes out). A re-run
makes no write; see planning/message_templates.py for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from kaltura_events.api.messaging_models import EmailTemplate
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.message_templates import TemplateContent, TemplatePlan, plan_templates
from kaltura_events.planning.messages import TEMPLATE_NAME_PREFIX, SeriesMessages
from tasks.api_task import api_task
from tasks.clients import messaging_client

APPS_PER_LIST = 15
"""The client's bound on one ``appGuidIn`` filter."""


@api_task(
    "list-message-templates",
    endpoint="email-template/list",
    description="Our (kev:) email templates of up to 15 event apps, every page inside the task.",
    run_name=lambda p: f"{len(p['app_guids'])} app(s)",
)
def list_message_templates(
    *, credentials: KalturaCredentials | None, app_guids: list[str]
) -> dict[str, list[EmailTemplate]]:
    """By app GUID, every app given (an app with none maps to []); deleted ones included, as listed."""
    found: dict[str, list[EmailTemplate]] = {guid: [] for guid in app_guids}
    client = messaging_client(credentials)
    for template in client.list_templates(app_guids, name_contains=TEMPLATE_NAME_PREFIX):
        if template.app_guid in found and template.name.startswith(TEMPLATE_NAME_PREFIX):
            found[template.app_guid].append(template)
    return found


@api_task(
    "create-message-template",
    endpoint="email-template/add",
    description="One email template in one event app; an unknown outcome is looked up, never made twice.",
    run_name="{content.name} in {app_guid}",
)
def create_message_template(
    *, credentials: KalturaCredentials | None, app_guid: str, content: TemplateContent
) -> EmailTemplate:
    return messaging_client(credentials).add_template(app_guid, name=content.name, **content.settable())


@api_task(
    "update-message-template",
    endpoint="email-template/update",
    description="Set every field we own of one email template (and enable it); repeating it is harmless.",
    run_name="{content.name} ({template_id})",
)
def update_message_template(
    *, credentials: KalturaCredentials | None, template_id: str, content: TemplateContent
) -> EmailTemplate:
    return messaging_client(credentials).update_template(template_id, status="enabled", **content.settable())


@api_task(
    "delete-message-template",
    endpoint="email-template/delete",
    description="Delete one of our email templates (status deleted); deleting it again is harmless.",
    run_name="{name} ({template_id})",
)
def delete_message_template(*, credentials: KalturaCredentials | None, template_id: str, name: str) -> None:
    """``name`` only names the run: only ``kev:`` templates reach here (planning/message_templates.py)."""
    messaging_client(credentials).delete_template(template_id)


def apply_template_plan(credentials: KalturaCredentials | None, plan: TemplatePlan) -> dict[str, str]:
    """Make the plan's writes, one after another; template key -> id of every template of the block.

    Creates and updates come before deletes: a duplicate is deleted only once
    the one that stays is as the file says.
    """
    ids = dict(plan.unchanged)
    for key in plan.create:
        ids[key] = create_message_template(
            credentials=credentials, app_guid=plan.app_guid, content=plan.content[key]
        ).id
    for change in plan.update:
        update_message_template(
            credentials=credentials, template_id=change.template_id, content=plan.content[change.key]
        )
        ids[change.key] = change.template_id
    for gone in plan.delete:
        delete_message_template(credentials=credentials, template_id=gone.template_id, name=gone.name)
    return ids


def converge_templates(
    credentials: KalturaCredentials | None,
    app_guid: str,
    messages: SeriesMessages,
    *,
    existing: Sequence[EmailTemplate] | None = None,
) -> dict[str, str]:
    """This app's ``kev:`` templates made the block's; template key -> template id.

    ``existing`` is the app's templates when the caller listed them already
    (apply lists 15 apps a call); otherwise they are listed here.
    """
    if existing is None:
        existing = list_message_templates(credentials=credentials, app_guids=[app_guid])[app_guid]
    return apply_template_plan(credentials, plan_templates(app_guid, messages, existing))
