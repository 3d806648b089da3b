"""The three flows our users run: schedule_all_hands, duplicate_event, teardown_events."""
