"""Everything that speaks HTTP to a Kaltura service, and nothing else.

The Events Platform client (``events``), API v3 (``api_v3``), the App Registry
(``app_registry``) and User Profile (``user_profile``), and what they share: the
Bearer + JSON plumbing (``bearer``), transport, answers, retry, paging, KS v2,
errors, models (``attendance_models`` for the last two), fields and the argument
checks (``validation``) the clients and the flow parameters share. Imports no
Prefect and nothing else of ``kaltura_events``.
"""
