"""User Profile (KALTURA_USER_PROFILE_API.md): each person's profile per app, with attendance status."""
