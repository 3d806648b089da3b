"""Kaltura's HTTP notifications: the receiver, and registering our templates with Kaltura.

Open-source Prefect has no inbound webhooks, so this small service stands in
for them: Kaltura POSTs to ``/kaltura/<token>``, the receiver checks the
signature Kaltura computed with the partner admin secret, and posts one event
per notification to ``{PREFECT_API_URL}/events``, where deployment triggers
turn events into runs. Modules: ``signature`` (the hash Kaltura sends),
``notification`` (parsing, and the notification -> event mapping), ``config``
(settings, read once before listening), ``ledger`` (which notifications were
delivered, so a replay posts nothing), ``prefect_api`` (the REST calls and
what their failures mean), ``receiver`` (the Starlette app) and
``registration`` (cloning, pointing and activating our notification templates).
"""
