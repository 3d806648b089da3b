"""The flows our users run: schedule_all_hands, duplicate_event, teardown_events,
sync_team_members, sync_events_file, report_attendance and watch_events (and schedule_encore,
started by a trigger); units.py runs their units of work at once."""
