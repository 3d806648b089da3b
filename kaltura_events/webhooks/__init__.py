"""Kaltura's HTTP notifications: registering our templates with Kaltura, and receiving what they send."""
