"""Everything that speaks HTTP to a Kaltura service, and nothing else.

The Events Platform client (``events``), API v3 (``api_v3``), the App Registry
(``app_registry``), User Profile (``user_profile``) and Messaging (``messaging``),
and what they share: the Bearer + JSON plumbing (``bearer``), transport, answers,
retry, paging, KS v2, errors, models (``attendance_models`` for the App Registry
and User Profile, ``messaging_models``), fields and the argument
checks (``validation``) the clients and the flow parameters share. Imports no
Prefect and nothing else of ``kaltura_events``.
"""
