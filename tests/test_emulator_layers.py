"""The emulator stands beside the client, not on it: its imports are checked, not hoped for (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import kaltura_events.emulator as emulator_package

EMULATOR_DIR = Path(emulator_package.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, TYPE_CHECKING blocks and function bodies included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_emulator_imports_nothing_of_the_client_tasks_or_flows() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(EMULATOR_DIR.glob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in {"tasks", "flows"}
        or (module.startswith("kaltura_events") and not module.startswith("kaltura_events.emulator"))
    }
    assert offenders == set()
    assert len(list(EMULATOR_DIR.glob("*.py"))) > 10, "the scan found the emulator's modules"


def test_store_and_people_share_state_and_import_neither_each_other() -> None:
    store = imported_modules(EMULATOR_DIR / "store.py")
    people = imported_modules(EMULATOR_DIR / "people.py")
    assert not any(module.startswith("kaltura_events.emulator.people") for module in store)
    assert not any(module.startswith("kaltura_events.emulator.store") for module in people)
    assert "kaltura_events.emulator.state" in store & people
    state = imported_modules(EMULATOR_DIR / "state.py")
    assert not any(
        m.startswith(("kaltura_events.emulator.store", "kaltura_events.emulator.people")) for m in state
    )
