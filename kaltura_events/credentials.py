"""KalturaCredentials: the Prefect Block that says where Kaltura is and how to get a KS.

It is the only module of the library that imports Prefect. A flow parameter
typed as this Block renders as a Block picker in the UI, and its secret fields
are stored encrypted by Prefect and shown masked. Clients are cached per
process, keyed by a digest of the settings, so the tasks of a flow run share
one connection pool and one KS instead of minting a KS per task.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from typing import Any, Literal
from urllib.parse import urlparse

from prefect.blocks.core import Block
from pydantic import ConfigDict, Field, GetJsonSchemaHandler, SecretStr, ValidationError, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.app_registry import AppRegistryClient
from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.api.events import EventsClient
from kaltura_events.api.ks import ADMIN, KsProvider, Minted, app_token_hash, local_minter
from kaltura_events.api.messaging import MessagingClient
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.api.transport import Slot, shown_url
from kaltura_events.api.user_profile import UserProfileClient
from kaltura_events.environment import (
    VARIABLE_OF,
    WHERE_TO_SET,
    CredentialsError,
    refusal_advice,
    setting,
    settings_from_env,
)

Region = Literal["nvp", "eu", "de"]

REGIONS: dict[str, tuple[str, str]] = {
    "nvp": ("https://events-api.nvp1.ovp.kaltura.com/api/v1", "https://www.kaltura.com/api_v3"),
    "eu": ("https://events-api.irp2.ovp.kaltura.com/api/v1", "https://api.irp2.ovp.kaltura.com/api_v3"),
    "de": ("https://events-api.frp2.ovp.kaltura.com/api/v1", "https://api.frp2.ovp.kaltura.com/api_v3"),
}
ATTENDANCE_REGIONS: dict[str, tuple[str, str]] = {
    region: (
        f"https://app-registry.{host}.ovp.kaltura.com/api/v1",
        f"https://user.{host}.ovp.kaltura.com/api/v1",
    )
    for region, host in (("nvp", "nvp1"), ("eu", "irp2"), ("de", "frp2"))
}
"""App Registry and User Profile per region: their guides name NVP (nvp1), EU (irp2) and DE (frp2)."""
MESSAGING_REGIONS: dict[str, str] = {
    region: f"https://messaging.{host}.ovp.kaltura.com/api/v1"
    for region, host in (("nvp", "nvp1"), ("eu", "irp2"), ("de", "frp2"))
}
"""Messaging per region (KALTURA_MESSAGING_API.md: NVP ``nvp1``, EU ``irp2``, DE ``frp2``)."""

URL_FIELDS = ("events_api_url", "service_url", "app_registry_url", "user_profile_url", "messaging_url")
SERVICE_NAMES = {
    "events_api_url": "Events Platform API",
    "service_url": "API v3 service",
    "app_registry_url": "App Registry",
    "user_profile_url": "User Profile service",
    "messaging_url": "Messaging service",
}


def region_urls(region: str) -> dict[str, str]:
    """A region's five URLs, by the Block field each fills."""
    events, service = REGIONS[region]
    registry, profiles = ATTENDANCE_REGIONS[region]
    urls = (events, service, registry, profiles, MESSAGING_REGIONS[region])
    return dict(zip(URL_FIELDS, urls, strict=True))


def region_of(url: str) -> str | None:
    """The region one of whose five services lives at this URL's host, or None (the emulator, a proxy)."""
    host = urlparse(url).hostname
    for region in REGIONS:
        if host in {urlparse(preset).hostname for preset in region_urls(region).values()}:
            return region
    return None


class UnderivableUrlError(CredentialsError, ValueError):
    """A service's URL is not set and no rule gives it: naming the variable to set and the URLs that were."""

    def __init__(self, field: str, explicit: dict[str, str]) -> None:
        self.field = field
        given = ", ".join(f"{VARIABLE_OF[name]}={url}" for name, url in explicit.items())
        super().__init__(
            f"{VARIABLE_OF[field]} is not set (the Block's {field}): the {SERVICE_NAMES[field]}'s URL "
            f"cannot be derived from {given}, which is no Kaltura region's. "
            f"Set {VARIABLE_OF[field]} too (`kaltura-events emulator` prints them all for the emulator)"
        )


def _env_errors(exc: ValidationError) -> str:
    """pydantic's errors as ``VARIABLE: reason``, without its links or the input (it may be a secret)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        reason = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{VARIABLE_OF[field]}: {reason}" if field in VARIABLE_OF else reason)
    return "; ".join(parts)


def require_safe_url(field: str, url: str) -> str:
    """https, or http only to a loopback host, so a KS never crosses a network in clear text."""
    parsed = urlparse(url)
    # Errors show the URL without user:password@, query or fragment: those may hold a secret.
    shown = shown_url(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidArgumentError(field, shown, "expected an http(s) URL")
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise InvalidArgumentError(field, shown, "the URL may not carry credentials, a query or a fragment")
    if parsed.scheme == "http":
        host = parsed.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise InvalidArgumentError(field, shown, "refusing plain http to a non-loopback host; use https")
    return url.rstrip("/")


class KalturaCredentials(Block):
    """Where your Kaltura account lives and how to authenticate to it.

    Fill in a region (or URLs: see ``resolved_url``) and exactly one way to get a KS: a ready KS;
    partner id + admin secret + user id; or partner id + app token id + app
    token + user id.
    """

    _block_type_name = "Kaltura Credentials"
    _block_type_slug = "kaltura-credentials"
    _description = "Kaltura Events Platform and API v3 credentials (KS, admin secret or app token)."
    _documentation_url = "https://developer.kaltura.com/"  # type: ignore[assignment]
    # A failed validation must not print the input: it holds the secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    region: Region = Field(
        default="nvp",
        title="Region",
        description="Kaltura deployment region; used only when no URL is set.",
    )
    events_api_url: str | None = Field(
        default=None,
        title="Events API URL",
        description="e.g. https://.../api/v1. A URL of no Kaltura region means setting the others too.",
    )
    service_url: str | None = Field(
        default=None,
        title="API v3 service URL",
        description="e.g. https://.../api_v3. A URL of no Kaltura region means setting the others too.",
    )
    app_registry_url: str | None = Field(
        default=None,
        title="App Registry URL",
        description="e.g. https://.../api/v1. A URL of no Kaltura region means setting the others too.",
    )
    user_profile_url: str | None = Field(
        default=None,
        title="User Profile URL",
        description="e.g. https://.../api/v1. A URL of no Kaltura region means setting the others too.",
    )
    messaging_url: str | None = Field(
        default=None,
        title="Messaging URL",
        description="e.g. https://.../api/v1. A URL of no Kaltura region means setting the others too.",
    )
    partner_id: int | None = Field(
        default=None, title="Partner ID", gt=0, description="Your Kaltura partner id."
    )
    user_id: str | None = Field(
        default=None, title="User ID", description="The Events Platform requires a KS with a user id."
    )
    ks: SecretStr | None = Field(default=None, title="KS", description="A ready KS; it cannot be renewed.")
    admin_secret: SecretStr | None = Field(
        default=None, title="Admin secret", description="The partner admin secret."
    )
    use_session_start: bool = Field(
        default=False,
        title="Use session.start",
        description="Ask the server for the KS instead of building a KS v2 locally.",
    )
    app_token_id: str | None = Field(default=None, title="App token ID", description="The app token id.")
    app_token: SecretStr | None = Field(default=None, title="App token", description="The app token value.")
    app_token_hash_type: Literal["SHA256", "SHA1", "SHA512", "MD5"] = Field(
        default="SHA256",
        title="App token hash type",
        description="The hash type the app token was made with.",
    )
    ks_expiry_seconds: int = Field(
        default=86400, title="KS lifetime (s)", ge=60, le=7 * 86400, description="How long a new KS is valid."
    )
    privileges: str = Field(
        default="", title="KS privileges", description="KS privileges, e.g. disableentitlement."
    )
    request_timeout_seconds: float = Field(
        default=30.0, title="Request timeout (s)", gt=0, le=600, description="Bounds every HTTP request."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, title="Retries per call", description="For 5xx, 429 and resets."
    )
    retry_base_delay_seconds: float = Field(
        default=1.0, ge=0, le=60, title="First retry delay (s)", description="Doubles each retry: 1, 2, 4 s."
    )

    @model_validator(mode="after")
    def _one_auth_mode(self) -> KalturaCredentials:
        modes = self.auth_modes()
        if len(modes) != 1:
            raise ValueError(
                "exactly one auth mode is required: ks; partner_id + admin_secret + user_id; or "
                f"partner_id + app_token_id + app_token + user_id (found: {', '.join(modes) or 'none'})"
            )
        mode = modes[0]
        if mode != "ks" and (self.partner_id is None or not self.user_id):
            raise ValueError(f"auth mode {mode} needs partner_id and user_id")
        for field in URL_FIELDS:
            if getattr(self, field):
                require_safe_url(field, getattr(self, field))
        self.resolved_urls()
        return self

    def auth_modes(self) -> list[str]:
        modes = []
        if self.ks is not None:
            modes.append("ks")
        if self.admin_secret is not None:
            modes.append("admin_secret")
        if self.app_token_id or self.app_token is not None:
            if not (self.app_token_id and self.app_token is not None):
                raise ValueError("app token auth needs both app_token_id and app_token")
            modes.append("app_token")
        return modes

    def resolved_url(self, field: str) -> str:
        """One service's URL, by one rule for all five.

        Set, it is used. With no URL set, every one is the region's. With some
        set, an unset one is the region's whose URL a set one is (the events
        API of EU gives EU's App Registry), and only when all the set ones
        are that one region's; otherwise (the emulator, a proxy, two regions)
        it must be set too, and UnderivableUrlError names its variable. The
        region field never fills in beside an explicit URL: the region's
        default would silently point one service somewhere else.
        """
        own = getattr(self, field)
        if own:
            return require_safe_url(field, own)
        explicit = {name: getattr(self, name) for name in URL_FIELDS if getattr(self, name)}
        regions = {region_of(url) for url in explicit.values()}
        region: str | None = self.region
        if explicit:
            region = regions.pop() if len(regions) == 1 else None
        if region is None:
            raise UnderivableUrlError(field, explicit)
        return require_safe_url(field, region_urls(region)[field])

    def url_hint(self, field: str) -> str:
        """For an error that could not reach a URL: where it came from, and which variable changes it."""
        if getattr(self, field):
            return f"{setting(field)} sets this URL"
        return f"this URL is a Kaltura region's; set {setting(field)} to use another"

    def resolved_urls(self) -> tuple[str, str]:
        """(Events Platform API, API v3): every flow needs both, so the Block is checked for them."""
        return self.resolved_url("events_api_url"), self.resolved_url("service_url")

    def resolved_attendance_urls(self) -> tuple[str, str]:
        """(App Registry, User Profile): checked as the attendance report starts, the one flow using them."""
        return self.resolved_url("app_registry_url"), self.resolved_url("user_profile_url")

    def resolved_messaging_url(self) -> str:
        """Checked as a flow that sends email starts, the only ones using it."""
        return self.resolved_url("messaging_url")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> KalturaCredentials:
        """The same settings from the variables Kaltura's own guides use.

        Missing or contradictory variables raise one CredentialsError that
        names them and where to set them, before anything else runs: a flow
        or command checks this first, so a forgotten export is one line, not
        a traceback per task.
        """
        values = settings_from_env(environ)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise CredentialsError(f"{_env_errors(exc)}. {WHERE_TO_SET}") from None

    # -- clients --------------------------------------------------------------

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(type(self).model_fields):
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            digest.update(f"{name}={value!r};".encode())
        return digest.hexdigest()

    def _minter(self, service_url: str) -> KsProvider:
        advice = refusal_advice(
            self.auth_modes()[0],
            partner_id=self.partner_id,
            app_token_id=self.app_token_id,
            hash_type=self.app_token_hash_type,
        )
        if self.ks is not None:
            return KsProvider(fixed_ks=self.ks.get_secret_value(), advice=advice)
        assert self.partner_id is not None and self.user_id is not None
        partner_id, user_id, expiry = self.partner_id, self.user_id, self.ks_expiry_seconds
        retry = self.retry_policy()
        timeout = self.request_timeout_seconds
        if self.admin_secret is not None:
            secret = self.admin_secret.get_secret_value()
            if not self.use_session_start:
                return KsProvider(
                    local_minter(
                        secret, partner_id, user_id, expiry_seconds=expiry, privileges=self.privileges
                    ),
                    advice=advice,
                )

            def via_session_start() -> Minted:
                with ApiV3Client(service_url, timeout=timeout, retry=retry) as v3:
                    issued = time.time()
                    ks = v3.start_session(
                        secret=secret,
                        partner_id=partner_id,
                        user_id=user_id,
                        session_type=ADMIN,
                        expiry_seconds=expiry,
                        privileges=self.privileges,
                    )
                    return ks, issued + expiry

            return KsProvider(via_session_start, advice=advice)
        assert self.app_token is not None and self.app_token_id is not None
        token, token_id, hash_type = (
            self.app_token.get_secret_value(),
            self.app_token_id,
            self.app_token_hash_type,
        )

        def via_app_token() -> Minted:
            with ApiV3Client(service_url, timeout=timeout, retry=retry) as v3:
                widget_ks = v3.start_widget_session(partner_id)
                issued = time.time()
                ks, expires = v3.start_app_token_session(
                    widget_ks=widget_ks,
                    token_id=token_id,
                    token_hash=app_token_hash(widget_ks, token, hash_type),
                    user_id=user_id,
                    session_type=ADMIN,
                    expiry_seconds=expiry,
                )
                return ks, expires if expires else issued + expiry

        return KsProvider(via_app_token, advice=advice)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.max_retries, base_delay=self.retry_base_delay_seconds)

    def _provider(self, fingerprint: str, service_url: str) -> KsProvider:
        """The one KS of these credentials, whichever client asks; the cache lock is held."""
        provider = _PROVIDERS.get(fingerprint)
        if provider is None:
            provider = _PROVIDERS[fingerprint] = self._minter(service_url)
        return provider

    def _clients(self, retry: RetryPolicy | None, slot: Slot | None) -> tuple[EventsClient, ApiV3Client]:
        retry = retry or self.retry_policy()
        key = (self._fingerprint(), retry, slot)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is None:
                events_url, service_url = self.resolved_urls()
                provider = self._provider(key[0], service_url)
                timeout = self.request_timeout_seconds
                options: dict[str, Any] = {"timeout": timeout, "retry": retry, "slot": slot}
                cached = (
                    EventsClient(events_url, provider, url_hint=self.url_hint("events_api_url"), **options),
                    ApiV3Client(service_url, provider, url_hint=self.url_hint("service_url"), **options),
                )
                _CACHE[key] = cached
            return cached

    def _attendance_clients(
        self, retry: RetryPolicy | None, slot: Slot | None
    ) -> tuple[AppRegistryClient, UserProfileClient]:
        retry = retry or self.retry_policy()
        key = (self._fingerprint(), retry, slot)
        with _CACHE_LOCK:
            cached = _ATTENDANCE_CACHE.get(key)
            if cached is None:
                registry_url, profiles_url = self.resolved_attendance_urls()
                provider = self._provider(key[0], self.resolved_urls()[1])
                timeout = self.request_timeout_seconds
                options: dict[str, Any] = {"timeout": timeout, "retry": retry, "slot": slot}
                cached = (
                    AppRegistryClient(
                        registry_url, provider, url_hint=self.url_hint("app_registry_url"), **options
                    ),
                    UserProfileClient(
                        profiles_url, provider, url_hint=self.url_hint("user_profile_url"), **options
                    ),
                )
                _ATTENDANCE_CACHE[key] = cached
            return cached

    def _messaging_client(self, retry: RetryPolicy | None, slot: Slot | None) -> MessagingClient:
        retry = retry or self.retry_policy()
        key = (self._fingerprint(), retry, slot)
        with _CACHE_LOCK:
            cached = _MESSAGING_CACHE.get(key)
            if cached is None:
                messaging_url = self.resolved_messaging_url()
                provider = self._provider(key[0], self.resolved_urls()[1])
                cached = MessagingClient(
                    messaging_url,
                    provider,
                    url_hint=self.url_hint("messaging_url"),
                    timeout=self.request_timeout_seconds,
                    retry=retry,
                    slot=slot,
                )
                _MESSAGING_CACHE[key] = cached
            return cached

    def get_events_client(self, retry: RetryPolicy | None = None, slot: Slot | None = None) -> EventsClient:
        """A shared, thread-safe client for this process; do not close it.

        ``slot`` is entered around each HTTP attempt and released while a retry
        waits (e.g. a run's request slot). Clients are cached per slot factory,
        so pass the same factory (a module-level function) every time.
        """
        return self._clients(retry, slot)[0]

    def get_api_v3_client(self, retry: RetryPolicy | None = None, slot: Slot | None = None) -> ApiV3Client:
        """A shared, thread-safe client for this process; do not close it (``slot`` as above)."""
        return self._clients(retry, slot)[1]

    def get_app_registry_client(
        self, retry: RetryPolicy | None = None, slot: Slot | None = None
    ) -> AppRegistryClient:
        """A shared, thread-safe client for this process; do not close it (``slot`` as above)."""
        return self._attendance_clients(retry, slot)[0]

    def get_user_profile_client(
        self, retry: RetryPolicy | None = None, slot: Slot | None = None
    ) -> UserProfileClient:
        """A shared, thread-safe client for this process; do not close it (``slot`` as above)."""
        return self._attendance_clients(retry, slot)[1]

    def get_messaging_client(
        self, retry: RetryPolicy | None = None, slot: Slot | None = None
    ) -> MessagingClient:
        """A shared, thread-safe client for this process; do not close it (``slot`` as above)."""
        return self._messaging_client(retry, slot)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Declare that credentials have only the fields above, so a Block reference is not credentials.

        Prefect validates a Block parameter against ``oneOf: [this schema,
        {"$ref": ...}]``. Every field here is optional, so with Block's default
        ``additionalProperties: true`` the reference the UI's Block picker sends
        (``{"$ref": {"block_document_id": ...}}``) matched both and every run was
        refused. Validation of the Block itself is unchanged.

        The UI's "Validate parameters" sends the schema without
        ``additionalProperties``, so the reference matched both again there;
        ``region`` (always present: it has a default) is declared required too,
        which a reference never carries and the UI keeps.
        """
        schema = handler(core_schema)
        definition = handler.resolve_ref_schema(schema)
        definition["additionalProperties"] = False
        definition["required"] = sorted({*definition.get("required", []), "region"})
        return schema


_CACHE: dict[tuple[str, RetryPolicy, Slot | None], tuple[EventsClient, ApiV3Client]] = {}
_ATTENDANCE_CACHE: dict[
    tuple[str, RetryPolicy, Slot | None], tuple[AppRegistryClient, UserProfileClient]
] = {}
_MESSAGING_CACHE: dict[tuple[str, RetryPolicy, Slot | None], MessagingClient] = {}
_CACHE_LOCK = threading.Lock()
_PROVIDERS: dict[str, KsProvider] = {}
"""One KS per set of credentials, whichever client (retry policy, slot) uses it: one session, one renewal."""


def close_cached_clients() -> None:
    """Close every cached client (tests and the demo call this on the way out)."""
    with _CACHE_LOCK:
        for events, v3 in _CACHE.values():
            events.close()
            v3.close()
        for registry, profiles in _ATTENDANCE_CACHE.values():
            registry.close()
            profiles.close()
        for messaging in _MESSAGING_CACHE.values():
            messaging.close()
        _CACHE.clear()
        _ATTENDANCE_CACHE.clear()
        _MESSAGING_CACHE.clear()
        _PROVIDERS.clear()


# -- setup on a Prefect server ---------------------------------------------------
#
# What `kaltura-events setup` and its parts do. Each function converges: run
# twice, the second run changes nothing and says so. They live here because
# this is the one library module that may import Prefect.

API_LIMIT_NAME = "kaltura-api"
"""The Prefect global concurrency limit that bounds Kaltura requests across runs and workers.

tasks/api_limit.py holds the same name as ``GLOBAL_LIMIT_NAME``.
"""
DEFAULT_API_LIMIT = 8
DEFAULT_WORK_POOL = "kaltura-events"
DEFAULT_CREDENTIALS_NAME = "kaltura"
"""The Block name deployments/prefect.yaml refers to."""

Outcome = Literal["created", "updated", "unchanged"]


class SetupError(KalturaError):
    """A setup step cannot proceed; the message says what to do instead."""


def require_prefect_api() -> str:
    """The configured Prefect API URL, or a SetupError.

    Without one, Prefect would start a throw-away server for this process and
    whatever we saved would vanish with it, silently.
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise SetupError(
            "no Prefect API configured: start a server (`prefect server start`) and run "
            "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`, or export PREFECT_API_URL"
        )
    return str(url)


def credentials_reference(name: str = DEFAULT_CREDENTIALS_NAME) -> dict[str, Any]:
    """A flow parameter value that names a saved Block: ``{"$ref": {"block_document_slug": ...}}``.

    Prefect resolves it when the flow run starts, so the secrets stay in the
    Block and never appear in deployment or flow-run parameters.
    """
    return {"$ref": {"block_document_slug": f"{KalturaCredentials.get_block_type_slug()}/{name}"}}


def register_block_type() -> None:
    """Register (or refresh) the KalturaCredentials Block type and schema, so the UI can create one."""
    require_prefect_api()
    KalturaCredentials.register_type_and_schema()


def describe_credentials(credentials: KalturaCredentials) -> str:
    """Where and how, without a secret: safe to print."""
    events, _ = credentials.resolved_urls()
    mode = credentials.auth_modes()[0]
    partner = f"partner {credentials.partner_id}, " if credentials.partner_id is not None else ""
    return f"{partner}auth {mode}, {events}"


def save_credentials_from_env(
    name: str, *, overwrite: bool = False, environ: dict[str, str] | None = None
) -> tuple[Outcome, KalturaCredentials]:
    """Save ``KALTURA_*`` variables as the Block document ``name``.

    Saving the same settings again is "unchanged". Different settings under an
    existing name need ``overwrite``: replacing the credentials a schedule uses
    should be a decision, not a side effect of a re-run.
    """
    require_prefect_api()
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    credentials = KalturaCredentials.from_env(environ)
    slug = KalturaCredentials.get_block_type_slug()
    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(name=name, block_type_slug=slug)
        except ObjectNotFound:
            document = None
    exists = document is not None
    if document is not None:
        try:
            # Validated here rather than with Block.load, which would also emit a "block loaded" event.
            saved = KalturaCredentials.model_validate(document.data)
            same = saved._fingerprint() == credentials._fingerprint()
        except ValueError:  # saved by an older schema, or no longer valid: it differs
            same = False
        if same:
            return "unchanged", credentials
        if not overwrite:
            raise SetupError(
                f"a {slug} Block named {name!r} exists with different settings; "
                "pass --overwrite to replace it"
            )
    credentials.save(name, overwrite=exists)
    return ("updated" if exists else "created"), credentials


def ensure_api_limit(limit: int = DEFAULT_API_LIMIT, name: str = API_LIMIT_NAME) -> Outcome:
    """Create the global concurrency limit, or set an existing one to ``limit`` and active."""
    if limit < 1:
        raise SetupError(f"limit must be at least 1, got {limit}")
    require_prefect_api()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            current = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
            return "created"
        if current.limit == limit and current.active:
            return "unchanged"
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=limit, active=True))
        return "updated"


def ensure_work_pool(name: str = DEFAULT_WORK_POOL) -> Outcome:
    """A process work pool with Prefect's default job template; an existing pool is left as it is."""
    require_prefect_api()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    description="Kaltura Events flows, run as local processes by `prefect worker start`.",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
            return "created"
    if pool.type != "process":
        raise SetupError(f"work pool {name!r} exists with type {pool.type!r}; expected 'process'")
    return "unchanged"
