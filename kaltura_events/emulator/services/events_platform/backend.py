"""The Events Platform's state, and what changes it: the event book, duplication jobs, people."""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.events_platform.duplication import Duplications
from kaltura_events.emulator.services.events_platform.event_book import EventBook
from kaltura_events.emulator.services.events_platform.people import People
from kaltura_events.emulator.services.events_platform.records import Records


class EventsPlatformBackend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reset()
        platform.catch_up_on_lock(lambda: self.duplications.settle())

    def reset(self) -> None:
        with self.platform.lock:
            self.records = Records(self.platform.config.first_event_id)
            self.events = EventBook(self.platform, self.records)
            self.duplications = Duplications(self.events)
            self.people = People(self.platform, self.records)

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return {**self.events.snapshot(), **self.duplications.snapshot(), **self.people.snapshot()}
