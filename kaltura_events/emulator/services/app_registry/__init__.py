"""The App Registry (KALTURA_APP_REGISTRY_API.md): one app per application instance, each event's too."""
