"""Pictures for the README, and the scripts that take them from real runs."""
