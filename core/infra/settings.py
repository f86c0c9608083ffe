"""One typed, frozen settings object, read from the environment at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlparse

import msgspec

from core.infra import embedded
from core.infra.database_url import connect_options
from core.errors import ConfigurationError
from core.infra.storage import storage_from

AppEnv = Literal["development", "test", "production"]
SmsProviderName = Literal["debug", "webhook", "disabled"]

MIN_SECRET_LENGTH = 32


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # None: APP_ENV was not set (the environment was not chosen on purpose); it runs as
    # development, but never hands out SMS codes unless the embedded database is in use.
    app_env: AppEnv | None = None
    database_url: str | None = None
    redis_url: str | None = None
    # Redis behind Sentinel ("host:port" each): the client asks them for the current primary and
    # follows a failover; REDIS_URL then gives only the password and db number.
    redis_sentinels: tuple[str, ...] = ()
    redis_sentinel_master: str = "mymaster"
    # A Redis Cluster's nodes ("host:port" each; the client learns the others from them); REDIS_URL
    # then gives only the password. `?cluster=true` on REDIS_URL names its host as the one node.
    redis_cluster_nodes: tuple[str, ...] = ()
    platform_admin_token: str | None = None
    # None: `sms_provider_name` decides (debug only where `reveals_codes_allowed`).
    sms_provider: SmsProviderName | None = None
    sms_webhook_url: str | None = None
    fcm_credentials: str | None = None
    # Base URL of the FCM v1 API; tests point it at the fake FCM server on loopback.
    fcm_base_url: str | None = None
    # White-label apps with a Firebase project of their own: app id (brand slug) -> key file.
    fcm_app_credentials: dict[str, str] = msgspec.field(default_factory=dict)
    push_concurrency: int | None = None
    push_lease_seconds: float | None = None
    push_batch_size: int | None = None
    token_secret: str = ""
    # Previous signing secrets still accepted for verification, so a rotation logs nobody out.
    token_secrets_previous: tuple[str, ...] = ()
    access_token_ttl: int = 900
    refresh_token_ttl: int = 60 * 60 * 24 * 60
    staff_token_ttl: int = 60 * 60 * 12
    otp_ttl: int = 300
    otp_max_attempts: int = 5
    otp_resend_interval: int = 60
    # Abuse limits (0 turns one off; the README says why these defaults): SMS codes sent per
    # phone and code requests per IP an hour, wrong codes per phone an hour (a backstop: past it a
    # wrong code burns the phone's code, the right one still logs in), code checks per IP an
    # hour, login codes the whole platform sends an hour, the phone countries codes go to
    # ("*": any), staff password failures per email before a 15-minute lockout and per IP an
    # hour, app requests per session a minute.
    otp_per_phone_hour: int = 5
    otp_per_ip_hour: int = 30
    login_per_phone_hour: int = 25
    login_per_ip_hour: int = 100
    sms_per_hour: int = 1000
    sms_countries: tuple[str, ...] = ("RU", "BY", "KZ")
    staff_login_failures: int = 5
    staff_login_per_ip_hour: int = 50
    app_requests_per_minute: int = 600
    # Proxies (addresses or networks) whose X-Forwarded-For is believed (web/forwarded.py).
    trusted_proxies: tuple[str, ...] = ()
    # Connections per process (and half as many more at peaks).
    db_pool_size: int = 20
    # Lifetime of a cached app screen read (bff/cache.py; writes renew them anyway); 0: off.
    screen_cache_seconds: int = 60
    var_dir: str = "var"
    # Where stored files live (core/infra/storage.py): unset, var_dir/files; file:///path; s3://bucket/prefix.
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_region: str | None = None
    max_body_size: int = 25 * 1024 * 1024
    log_level: str = "INFO"
    # `text` lines or one JSON object a line (request id, route, partner id) for log shippers.
    log_format: Literal["text", "json"] = "text"
    # `bff worker`'s GET /metrics (core/infra/metrics.py); None: not served.
    worker_metrics_port: int | None = None
    worker_metrics_host: str = "0.0.0.0"
    # When None: background jobs run inside `serve` unless APP_ENV=production.
    worker_in_process: bool | None = None
    # File imports: rows a file and a premise may have, what an .xlsx may unpack to (MiB) and
    # how much smaller than that its parts may be packed (a zip bomb is thousands of times), and
    # how many times a job is started before it fails for good (a file that kills its worker).
    import_max_rows: int = 300_000
    import_max_premise_rows: int = 1000
    import_max_unpacked_mb: int = 1024
    import_max_ratio: int = 200
    import_max_attempts: int = 3
    # SMS mailings: seconds the gateway has to answer, attempts per recipient before `failed`.
    sms_timeout_seconds: float = 10.0
    sms_max_attempts: int = 5

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def environment(self) -> str:
        return self.app_env or "development"

    @property
    def reveals_codes_allowed(self) -> bool:
        """Whether the debug SMS provider (which hands one-time codes to whoever asks) may run:
        only where the environment was chosen on purpose, APP_ENV=development or test, or where
        the embedded database shows this is a developer's machine (`make run`). A deploy that
        forgot APP_ENV must not let anyone log in as anyone."""
        return self.app_env in ("development", "test") or (self.app_env is None and not self.database_url)

    @property
    def sms_provider_name(self) -> str:
        """SMS_PROVIDER, or when unset: `debug` where codes may be revealed, else `disabled`."""
        if self.sms_provider:
            return self.sms_provider
        return "debug" if self.reveals_codes_allowed else "disabled"

    @property
    def runs_worker_in_process(self) -> bool:
        if self.worker_in_process is not None:
            return self.worker_in_process
        return not self.is_production

    @property
    def redis_cluster(self) -> bool:
        """Whether Redis is a Redis Cluster (REDIS_CLUSTER_NODES, or REDIS_URL `?cluster=true`)."""
        return bool(self.redis_cluster_nodes) or _query_flag(self.redis_url, "cluster")

    @property
    def verification_secrets(self) -> tuple[str, ...]:
        return (self.token_secret, *self.token_secrets_previous)


ENV_NAMES = {
    "app_env": "APP_ENV",
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "redis_sentinels": "REDIS_SENTINELS",
    "redis_sentinel_master": "REDIS_SENTINEL_MASTER",
    "redis_cluster_nodes": "REDIS_CLUSTER_NODES",
    "platform_admin_token": "PLATFORM_ADMIN_TOKEN",
    "sms_provider": "SMS_PROVIDER",
    "sms_webhook_url": "SMS_WEBHOOK_URL",
    "fcm_credentials": "FCM_CREDENTIALS",
    "fcm_base_url": "FCM_BASE_URL",
    "fcm_app_credentials": "FCM_APP_CREDENTIALS",
    "push_concurrency": "PUSH_CONCURRENCY",
    "push_lease_seconds": "PUSH_LEASE_SECONDS",
    "push_batch_size": "PUSH_BATCH_SIZE",
    "token_secret": "TOKEN_SECRET",
    "token_secrets_previous": "TOKEN_SECRETS_PREVIOUS",
    "access_token_ttl": "ACCESS_TOKEN_TTL",
    "refresh_token_ttl": "REFRESH_TOKEN_TTL",
    "staff_token_ttl": "STAFF_TOKEN_TTL",
    "otp_ttl": "OTP_TTL",
    "otp_max_attempts": "OTP_MAX_ATTEMPTS",
    "otp_resend_interval": "OTP_RESEND_INTERVAL",
    "otp_per_phone_hour": "OTP_PER_PHONE_HOUR",
    "otp_per_ip_hour": "OTP_PER_IP_HOUR",
    "login_per_phone_hour": "LOGIN_PER_PHONE_HOUR",
    "staff_login_failures": "STAFF_LOGIN_FAILURES",
    "login_per_ip_hour": "LOGIN_PER_IP_HOUR",
    "sms_per_hour": "SMS_PER_HOUR",
    "sms_countries": "SMS_COUNTRIES",
    "staff_login_per_ip_hour": "STAFF_LOGIN_PER_IP_HOUR",
    "app_requests_per_minute": "APP_REQUESTS_PER_MINUTE",
    "trusted_proxies": "TRUSTED_PROXIES",
    "screen_cache_seconds": "SCREEN_CACHE_SECONDS",
    "db_pool_size": "DB_POOL_SIZE",
    "var_dir": "VAR_DIR",
    "storage_url": "STORAGE_URL",
    "s3_endpoint_url": "S3_ENDPOINT_URL",
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_region": "AWS_REGION",
    "max_body_size": "MAX_BODY_SIZE",
    "log_level": "LOG_LEVEL",
    "log_format": "LOG_FORMAT",
    "worker_in_process": "WORKER_IN_PROCESS",
    "worker_metrics_port": "WORKER_METRICS_PORT",
    "worker_metrics_host": "WORKER_METRICS_HOST",
    "import_max_rows": "IMPORT_MAX_ROWS",
    "import_max_premise_rows": "IMPORT_MAX_PREMISE_ROWS",
    "import_max_unpacked_mb": "IMPORT_MAX_UNPACKED_MB",
    "import_max_ratio": "IMPORT_MAX_RATIO",
    "import_max_attempts": "IMPORT_MAX_ATTEMPTS",
    "sms_timeout_seconds": "SMS_TIMEOUT_SECONDS",
    "sms_max_attempts": "SMS_MAX_ATTEMPTS",
}


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from the environment (empty values count as unset) and check them."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field, name in ENV_NAMES.items():
        value = env.get(name, "").strip()
        if not value:
            continue
        if field in ("token_secrets_previous", "redis_sentinels", "redis_cluster_nodes", "trusted_proxies"):
            raw[field] = tuple(part.strip() for part in value.split(",") if part.strip())
        elif field == "sms_countries":
            raw[field] = tuple(part.strip().upper() for part in value.split(",") if part.strip())
        elif field == "fcm_app_credentials":
            # "brand-a=/keys/a.json,brand-b=/keys/b.json"
            pairs = (part.partition("=") for part in value.split(","))
            raw[field] = {app.strip(): path.strip() for app, _, path in pairs if app.strip() and path.strip()}
        else:
            raw[field] = value
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
    if settings.database_url:
        try:
            connect_options(settings.database_url)  # a URL no pool can use fails at start, not per request
        except ValueError as exc:
            raise ConfigurationError(f"invalid configuration: {exc}") from exc
    try:
        storage_from(settings)
    except ValueError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
    settings = _with_dev_secret(settings)
    _check_networks(settings)
    _check_redis(settings)
    check_settings(settings)
    embedded.check_installed(settings.database_url, settings.redis_url or ",".join(
        settings.redis_sentinels or settings.redis_cluster_nodes))
    return settings


def _query_flag(url: str | None, name: str) -> bool:
    if not url:
        return False
    values = parse_qs(urlparse(url).query).get(name, [])
    return any(value.strip().lower() in ("true", "yes", "1") for value in values)


def _not_host_port(addresses: tuple[str, ...]) -> list[str]:
    return [address for address in addresses
            if not address.rpartition(":")[0] or not address.rpartition(":")[2].isdigit()]


def _check_redis(settings: Settings) -> None:
    """A Redis Cluster has one database (0) and is not behind Sentinel."""
    if not settings.redis_cluster:
        return
    if settings.redis_sentinels:
        raise ConfigurationError("REDIS_SENTINELS and a Redis Cluster (REDIS_CLUSTER_NODES, REDIS_URL ?cluster=true) "
                                 "exclude each other")
    url = urlparse(settings.redis_url or "redis://")
    if url.path.strip("/") not in ("", "0") or url.scheme == "unix":
        raise ConfigurationError("a Redis Cluster has database 0 only, over TCP: REDIS_URL must name no other")
    if not settings.redis_cluster_nodes and not url.hostname:
        raise ConfigurationError("REDIS_URL ?cluster=true needs a host (or REDIS_CLUSTER_NODES)")
    wrong = _not_host_port(settings.redis_cluster_nodes)
    if wrong:
        raise ConfigurationError(f"REDIS_CLUSTER_NODES: {wrong[0]!r} is not host:port")


def _with_dev_secret(settings: Settings) -> Settings:
    """Outside production a missing token secret or admin token is generated once and kept
    under var/, so a local server keeps its tokens valid across restarts."""
    if settings.is_production:
        return settings
    changes = {}
    if not settings.token_secret:
        changes["token_secret"] = _kept_secret(Path(settings.var_dir) / "token_secret")
    if not settings.platform_admin_token:
        changes["platform_admin_token"] = _kept_secret(Path(settings.var_dir) / "platform_admin_token")
    return msgspec.structs.replace(settings, **changes) if changes else settings


def _kept_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def _check_networks(settings: Settings) -> None:
    import ipaddress

    for entry in settings.trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigurationError(f"TRUSTED_PROXIES: {entry!r} is not an address or a network") from None


def check_settings(settings: Settings) -> None:
    """Refuse configurations that must never run in production, and the debug SMS provider
    anywhere it was not chosen on purpose."""
    if not settings.is_production:
        if settings.sms_provider_name == "debug" and not settings.reveals_codes_allowed:
            raise ConfigurationError(
                "refusing to start: SMS_PROVIDER=debug hands one-time codes to anyone; it needs APP_ENV=development "
                "or APP_ENV=test (or the embedded database)")
        return
    problems: list[str] = []
    if settings.sms_provider_name == "debug":
        problems.append("SMS_PROVIDER=debug hands one-time codes to anyone; choose a real provider")
    if len(settings.token_secret) < MIN_SECRET_LENGTH or len(set(settings.token_secret)) < 10:
        problems.append(f"TOKEN_SECRET is missing or weak (at least {MIN_SECRET_LENGTH} random characters)")
    if not settings.platform_admin_token or len(settings.platform_admin_token) < MIN_SECRET_LENGTH:
        problems.append(f"PLATFORM_ADMIN_TOKEN is missing or weak (at least {MIN_SECRET_LENGTH} characters)")
    if not settings.database_url:
        problems.append("DATABASE_URL is unset: the embedded PostgreSQL is for development only")
    if not settings.redis_url and not settings.redis_sentinels and not settings.redis_cluster_nodes:
        problems.append("REDIS_URL is unset: the embedded Redis is for development only")
    for address in _not_host_port(settings.redis_sentinels):
        problems.append(f"REDIS_SENTINELS: {address!r} is not host:port")
    if not settings.storage_url:
        problems.append("STORAGE_URL is unset: uploaded files would stay on this machine's disk (./var/files); "
                        "name the storage: s3://bucket/prefix, or file:///path of a mount every machine shares")
    if settings.sms_provider == "webhook" and not settings.sms_webhook_url:
        problems.append("SMS_PROVIDER=webhook needs SMS_WEBHOOK_URL")
    if problems:
        raise ConfigurationError("refusing to start in production: " + "; ".join(problems))
