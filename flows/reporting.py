"""Turning a flow's outcome into a Prefect table artifact and a readable summary."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from prefect.artifacts import create_table_artifact
from prefect.logging import get_run_logger

KEY_LIMIT = 100


def artifact_key(*parts: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only.

    A key longer than the limit keeps its start and ends in a digest of the
    whole, so two subjects that differ only far in (a long list of event ids)
    still get two keys.
    """
    slugs = (re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts if part)
    key = "-".join(slug for slug in slugs if slug)
    if len(key) > KEY_LIMIT:
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
        key = key[: KEY_LIMIT - len(digest) - 1].rstrip("-") + "-" + digest
    return key or "kaltura-events"


def publish(key_parts: Sequence[str], rows: list[dict[str, Any]], description: str) -> None:
    """Publish the table even when empty, so the UI always shows what the run decided."""
    table = rows or [{"result": "nothing to do"}]
    create_table_artifact(table=table, key=artifact_key(*key_parts), description=description)
    get_run_logger().info(description)
