"""Pure planning, no I/O and no Prefect: what should exist.

Recurrence, series and their exceptions, speakers, the team roster, teardown
selection, people. May import ``kaltura_events.api`` for its models, errors and
argument checks, never httpx or prefect.
"""
