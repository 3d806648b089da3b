"""The five flows our users run: schedule_all_hands, duplicate_event, teardown_events,
sync_team_members and sync_events_file; units.py runs their units of work at once."""
