"""Kaltura's Messaging service (KALTURA_MESSAGING_API.md): templates, sends, tracking, unsubscribes."""
