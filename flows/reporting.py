"""Turning a flow's outcome into a Prefect table artifact and a readable summary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from prefect.artifacts import create_table_artifact
from prefect.logging import get_run_logger


def artifact_key(*parts: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    key = "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts if part)
    return key[:100] or "kaltura-events"


def publish(key_parts: Sequence[str], rows: list[dict[str, Any]], description: str) -> None:
    """Publish the table even when empty, so the UI always shows what the run decided."""
    table = rows or [{"result": "nothing to do"}]
    create_table_artifact(table=table, key=artifact_key(*key_parts), description=description)
    get_run_logger().info(description)
