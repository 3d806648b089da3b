"""Everything that speaks HTTP to a Kaltura service, and nothing else.

The Events Platform client (``events``), API v3 (``api_v3``), and what they share:
transport, answers, retry, paging, KS v2, errors, models, fields and the argument
checks (``validation``) the clients and the flow parameters share. Imports no
Prefect and nothing else of ``kaltura_events``.
"""
