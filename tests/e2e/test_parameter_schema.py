"""What the Prefect UI shows for each deployment, read back from the server as the UI reads it.

The UI builds its run form from ``parameter_openapi_schema``: a title and a
description per field, defaults pre-filled, an ``enum`` as a dropdown, a
``block_type_slug`` as a Block picker. Before it creates a run it posts the form
to ``/ui/schemas/validate``; values the UI itself produces (a wall-clock time,
a picked Block) must pass there, or no run can be started from the UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_events.api.validation import DUPLICATE_ROLES, PRESET_TEMPLATES, SESSION_TYPES, VISIBILITIES
from tests.e2e.conftest import CREDENTIALS_NAME, Stack

pytestmark = pytest.mark.slow

DEPLOYMENTS = {
    "schedule-all-hands/weekly": "series",
    "duplicate-event/default": "spec",
    "teardown-events/default": "selector",
    "sync-team-members/default": "roster",
}
BLOCK_SLUG = "kaltura-credentials"


def _schema(stack: Stack, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = stack.deployment(name)["parameter_openapi_schema"]
    return schema


def _definition(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    definition: dict[str, Any] = schema["definitions"][ref.rsplit("/", 1)[1]]
    return definition


def _variants(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The property itself, or the non-null branches of an Optional."""
    return [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]


def _enum(prop: dict[str, Any]) -> list[str]:
    for variant in _variants(prop):
        target = variant.get("items", variant)
        if "enum" in target:
            return list(target["enum"])
    raise AssertionError(f"no enum (dropdown) in {prop}")


def _models(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter model the form renders, except Blocks (the Block picker replaces their fields)."""
    for name, definition in schema["definitions"].items():
        if "block_type_slug" not in definition:
            yield name, definition


def _prefilled(prop: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The form opens with a usable value: a default, an optional list, or a sub-form with all defaults."""
    if "default" in prop:
        return True
    if prop.get("type") == "array" and not prop.get("minItems"):
        return True
    ref = prop.get("$ref")
    if ref:
        target = _definition(schema, ref)
        return all(_prefilled(p, schema) for p in target["properties"].values())
    return False


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_flow_parameter_has_title_description_and_default(stack: Stack, name: str) -> None:
    schema = _schema(stack, name)
    assert schema["required"] == [DEPLOYMENTS[name]], "only the one model parameter may be required"
    for key, prop in schema["properties"].items():
        assert prop.get("title"), f"{name}: parameter {key} has no title"
        assert prop.get("description"), f"{name}: parameter {key} has no description"
        if key not in schema["required"]:
            assert "default" in prop, f"{name}: parameter {key} has no default"


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_field_of_the_parameter_models_is_described(stack: Stack, name: str) -> None:
    schema = _schema(stack, name)
    for model, definition in _models(schema):
        required = set(definition.get("required", []))
        for key, prop in definition["properties"].items():
            where = f"{name}: {model}.{key}"
            assert prop.get("title"), f"{where} has no title"
            assert prop.get("description"), f"{where} has no description"
            if key not in required:
                assert _prefilled(prop, schema), f"{where} has no default"


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_credentials_render_as_a_block_picker(stack: Stack, name: str) -> None:
    schema = _schema(stack, name)
    credentials = schema["properties"]["credentials"]
    [ref] = [v["$ref"] for v in credentials["anyOf"] if "$ref" in v]
    block = _definition(schema, ref)
    assert block["block_type_slug"] == BLOCK_SLUG
    assert set(block["secret_fields"]) == {"ks", "admin_secret", "app_token"}
    assert credentials["default"] is None


def test_choices_render_as_dropdowns(stack: Stack) -> None:
    weekly = _schema(stack, "schedule-all-hands/weekly")
    series = weekly["definitions"]["AllHandsSeries"]["properties"]
    session = weekly["definitions"]["SessionSpec"]["properties"]
    assert _enum(series["template_id"]) == list(PRESET_TEMPLATES)
    assert _enum(session["type"]) == list(SESSION_TYPES)
    assert _enum(session["visibility"]) == list(VISIBILITIES)
    assert {"America/New_York", "Europe/London", "Asia/Tokyo", "UTC"} <= set(_enum(series["timezone"]))

    duplicate = _schema(stack, "duplicate-event/default")
    spec = duplicate["definitions"]["DuplicateSpec"]["properties"]
    assert "America/New_York" in _enum(spec["timezone"])
    assert _enum(spec["copy_roles"]) == list(DUPLICATE_ROLES)


def test_the_series_form_has_an_audience(stack: Stack) -> None:
    weekly = _schema(stack, "schedule-all-hands/weekly")
    assert "audience" in weekly["definitions"]["AllHandsSeries"]["properties"]
    audience = weekly["definitions"]["AudienceSpec"]["properties"]
    assert set(audience) == {
        "csv",
        "people",
        "columns",
        "send_invitations",
        "remove_unlisted",
        "max_removals",
    }
    assert (
        audience["send_invitations"]["default"] is False and audience["remove_unlisted"]["default"] is False
    )
    assert _enum(audience["columns"]["propertyNames"]) == [
        "email",
        "first_name",
        "last_name",
        "title",
        "company",
    ]


def test_teardown_selector_kind_is_a_dropdown(stack: Stack) -> None:
    schema = _schema(stack, "teardown-events/default")
    selector = schema["definitions"]["EventSelector"]
    kinds = {"event_ids", "series_key", "label", "ended_before"}
    branches = selector.get("oneOf") or selector.get("anyOf") or []
    enums = [set(_enum(p)) for p in selector.get("properties", {}).values() if "enum" in str(p)]
    assert kinds in enums or len(branches) == len(kinds)


def _block_reference(stack: Stack) -> dict[str, Any]:
    """What the UI's Block picker stores when the saved credentials are picked."""
    response = stack.api.get(f"/block_types/slug/{BLOCK_SLUG}/block_documents/name/{CREDENTIALS_NAME}")
    response.raise_for_status()
    return {"$ref": {"block_document_id": response.json()["id"]}}


def _ui_validate(stack: Stack, name: str, values: dict[str, Any]) -> dict[str, Any]:
    response = stack.api.post("/ui/schemas/validate", json={"schema": _schema(stack, name), "values": values})
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


UI_FORMS: dict[str, dict[str, Any]] = {
    "schedule-all-hands/weekly": {},  # the deployment's own defaults, as the form opens
    "duplicate-event/default": {
        "spec": {
            "source_label": "town-hall-template",
            "name": "Town Hall December",
            "start": "2026-12-01T10:00",
            "timezone": "America/New_York",
            "copy_roles": ["Speaker"],
        }
    },
    "teardown-events/default": {"selector": {"series_key": "company-all-hands"}, "dry_run": True},
    "sync-team-members/default": {
        "roster": [
            {"email": "jane@example.com", "role": "Organizer", "first_name": "Jane", "last_name": "Doe"}
        ]
    },
}


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_what_the_ui_submits_passes_the_ui_validation(stack: Stack, name: str) -> None:
    values = {
        **stack.deployment(name)["parameters"],
        **UI_FORMS[name],
        "credentials": _block_reference(stack),
    }
    if name == "schedule-all-hands/weekly":
        values["series"] = {
            **values["series"],
            "start_time": "10:00",
            "sessions": [{"name": "Q&A", "type": "MeetingEntry", "visibility": "unlisted"}],
        }
    result = _ui_validate(stack, name, values)
    assert result["valid"], result["errors"]


def test_the_ui_names_a_bad_field(stack: Stack) -> None:
    values = {"series": {"key": "k1", "name": "All-hands", "sessions": [{"name": "Q&A", "type": "Webinar"}]}}
    result = _ui_validate(stack, "schedule-all-hands/weekly", values)
    assert not result["valid"]
    assert "Webinar" in str(result["errors"])


@pytest.fixture
def stack(sqlite_stack: Stack) -> Stack:
    return sqlite_stack
