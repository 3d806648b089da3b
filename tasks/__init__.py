"""Prefect tasks: one per API call, thin, named verb_noun."""
