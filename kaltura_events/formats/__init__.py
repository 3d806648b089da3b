"""Files users edit or receive: the events file (YAML) and calendar feeds (ICS).

May import ``kaltura_events.planning`` and ``kaltura_events.api``, never Prefect.
"""
