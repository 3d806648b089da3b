"""Serve the deployments of deployments/prefect.yaml from this one process: no work pool, no worker.

    python deployments/serve.py            # from anywhere; Ctrl-C stops it

The deployments are read from prefect.yaml, so names, schedules, triggers,
parameters, tags and concurrency limits are the same whichever way you run
them. Pick one way per server: where `prefect deploy` already made them for
the work pool, this refuses to start unless given ``--replace``, which
deletes those first.

Flow runs execute in subprocesses of this process, in the repository root,
where ``flows`` and ``tasks`` import; that is why this script changes to it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = REPO_ROOT / "deployments" / "prefect.yaml"


def read_deployments(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The ``deployments:`` entries, with YAML anchors already resolved."""
    document = yaml.safe_load(path.read_text())
    return cast(list[dict[str, Any]], document["deployments"])


def _concurrency(spec: Any) -> Any:
    """prefect.yaml's ``concurrency_limit`` (a number, or limit + strategy) for ``to_deployment``."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    if spec is None or isinstance(spec, int):
        return spec
    return ConcurrencyLimitConfig(
        limit=int(spec["limit"]),
        collision_strategy=ConcurrencyLimitStrategy(spec.get("collision_strategy", "ENQUEUE")),
    )


def build_deployments(specs: Sequence[dict[str, Any]]) -> list[Any]:
    """One RunnerDeployment per prefect.yaml entry; work pool and pull steps do not apply here."""
    from prefect import Flow
    from prefect.events import DeploymentTriggerTypes
    from prefect.schedules import Cron
    from pydantic import TypeAdapter

    trigger_adapter: TypeAdapter[Any] = TypeAdapter(DeploymentTriggerTypes)
    deployments = []
    for spec in specs:
        path, _, function = spec["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = cast(Flow[..., Any], getattr(module, function))
        schedules = [
            Cron(item["cron"], timezone=item.get("timezone"), active=item.get("active", True))
            for item in spec.get("schedules") or []
        ]
        deployments.append(
            flow.to_deployment(
                name=spec["name"],
                description=spec.get("description"),
                tags=spec.get("tags"),
                version=spec.get("version"),
                parameters=spec.get("parameters"),
                schedules=schedules or None,
                concurrency_limit=_concurrency(spec.get("concurrency_limit")),
                enforce_parameter_schema=spec.get("enforce_parameter_schema", True),
                triggers=[
                    # Named as `prefect deploy` names them, so both ways make the same automations.
                    trigger_adapter.validate_python(
                        {"name": f"{spec['name']}__automation_{number}", **trigger}
                    )
                    for number, trigger in enumerate(spec.get("triggers") or [], start=1)
                ]
                or None,
            )
        )
    return deployments


def pooled_deployments(deployments: Sequence[Any]) -> list[tuple[str, Any]]:
    """Deployments of the same names that `prefect deploy` bound to a work pool.

    Serving over one of them is not a clean switch in Prefect 3.9: the update
    keeps its work pool (so a worker may take the runs too) and clears its
    code location, so served runs crash. They have to go first.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    found = []
    with get_client(sync_client=True) as client:
        for deployment in deployments:
            name = f"{deployment.flow_name}/{deployment.name}"
            try:
                existing = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            if existing.work_pool_name:
                found.append((name, existing.id))
    return found


def delete_deployments(ids: Sequence[Any]) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for deployment_id in ids:
            client.delete_deployment(deployment_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="most flow runs at once (default: no limit)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete work-pool deployments of the same names (from `prefect deploy`) before serving",
    )
    args = parser.parse_args(argv)
    os.chdir(REPO_ROOT)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))

    from prefect import serve

    from kaltura_events.credentials import SetupError, require_prefect_api

    try:
        require_prefect_api()
    except SetupError as exc:
        print(f"serve.py: {exc}", file=sys.stderr)
        return 2
    deployments = build_deployments(read_deployments())
    pooled = pooled_deployments(deployments)
    if pooled and not args.replace:
        names = ", ".join(name for name, _ in pooled)
        print(
            f"serve.py: {names} already exist on this server for the work pool, and serving would not "
            "replace them cleanly. Run again with --replace to delete them first, or use another server.",
            file=sys.stderr,
        )
        return 2
    delete_deployments([deployment_id for _, deployment_id in pooled])
    serve(*deployments, limit=args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
