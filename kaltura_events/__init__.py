"""Kaltura virtual events as code: the library under the Prefect tasks and flows.

``api`` speaks HTTP to Kaltura; ``planning`` works out what should exist, with no
I/O; ``formats`` reads and writes the files users edit or receive; ``credentials``
is the Prefect Block; ``cli`` the ``kaltura-events`` command; ``emulator`` the
local Kaltura services. Imports go cli -> credentials -> formats -> planning ->
api, never upward (contracts in pyproject.toml, checked by ``lint-imports``).
"""
