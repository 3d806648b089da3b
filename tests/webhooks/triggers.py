"""The encore deployment's trigger, read from deployments/prefect.yaml and judged by Prefect's own code.

``prefect deploy`` and deployments/serve.py both turn the file's trigger into
an automation this way; the server decides with its ``EventTrigger.covers``.
Tests that ask "would this event start a run?" ask exactly that, of the file
as it is, rather than of a copy of its conditions.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timezone
from typing import Any

from prefect.events import DeploymentTriggerTypes
from prefect.events.schemas.automations import AutomationCore
from prefect.server.events.schemas.automations import EventTrigger
from prefect.server.events.schemas.events import ReceivedEvent
from pydantic import TypeAdapter

from deployments.serve import read_deployments

ENCORE_ENTRYPOINT = "flows/schedule_encore.py:schedule_encore"
ENCORE_DEPLOYMENT = "company-all-hands"
"""schedule-encore/events-file has the same trigger, by YAML anchor (tests/e2e/test_deployment_files.py)."""


def encore_automation(deployment_id: uuid.UUID) -> AutomationCore:
    """The automation ``prefect deploy`` makes from the encore deployment's one trigger."""
    [spec] = [
        s
        for s in read_deployments()
        if s["entrypoint"] == ENCORE_ENTRYPOINT and s["name"] == ENCORE_DEPLOYMENT
    ]
    [trigger] = spec["triggers"]
    built = TypeAdapter(DeploymentTriggerTypes).validate_python(
        {"name": f"{spec['name']}__automation_1", **trigger}
    )
    built.set_deployment_id(deployment_id)
    automation: AutomationCore = built.as_automation()
    return automation


@functools.cache
def _server_trigger() -> EventTrigger:
    """The trigger as the server holds it (read once: the file does not change during a test run)."""
    return EventTrigger.model_validate(encore_automation(uuid.uuid4()).trigger.model_dump(mode="json"))


def starts_an_encore_run(event: dict[str, Any]) -> bool:
    """Whether the server's trigger evaluation covers ``event`` (the JSON the receiver posts)."""
    received = ReceivedEvent.model_validate({**event, "received": datetime.now(timezone.utc)})
    return _server_trigger().covers(received)
