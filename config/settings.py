"""Settings for Lieux partagés: one file, driven by environment variables.

Every variable is declared in `VARIABLES` with its default; `.env.example` and the README
list the same ones (a test keeps the three in step). A malformed value stops start-up with
a message naming the variable.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from pathlib import Path

import dj_database_url

from config.env import EnvError, Var, get, parse_bool, parse_float, parse_int, parse_list, parse_str

BASE_DIR = Path(__file__).resolve().parent.parent


def _time_zone(name: str, raw: str) -> str:
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise EnvError(f"{name}={raw!r} is not a known time zone (e.g. Europe/Paris).") from None
    return raw


def _language(name: str, raw: str) -> str:
    if raw not in ("fr", "en"):
        raise EnvError(f"{name}={raw!r} is not supported: use 'fr' or 'en'.")
    return raw


def _database(name: str, raw: str) -> dict:
    try:
        config = dj_database_url.parse(raw, conn_max_age=60)
    except Exception as exc:  # the library raises several types for one mistake
        raise EnvError(f"{name}={raw!r} cannot be read as a database URL: {exc}") from None
    if config.get("ENGINE") not in (
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    ):
        raise EnvError(f"{name}={raw!r}: only sqlite:// and postgres:// URLs are supported.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers wait their turn instead of failing with "database is locked":
        # a transaction takes the write lock when it begins (a read-then-write one cannot
        # deadlock with another), and a writer waits up to 20 s for the lock.
        config.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    return config


def _frame_ancestors(name: str, raw: str) -> str:
    """CSP frame-ancestors sources, space-separated: *, 'self', 'none', hosts or schemes."""
    sources = raw.split()
    if not sources:
        raise EnvError(f"{name} is empty: use 'none' to refuse every framing site.")
    for source in sources:
        if any(c in source for c in ';,"') or (
            source.startswith("'") and source not in ("'self'", "'none'")
        ):
            raise EnvError(
                f"{name}: {source!r} is not a frame-ancestors source "
                "(use *, 'self', 'none', https://site.example or https:)."
            )
    if "'none'" in sources and len(sources) > 1:
        raise EnvError(f"{name}: 'none' cannot be combined with other sources.")
    return " ".join(sources)


def _cache(name: str, raw: str) -> dict:
    """One shared cache for every server process: the rate limits count in it and the
    search's precomputed filter choices live in it (docs/deployment.md)."""
    raw = raw.strip()
    if not raw or raw == "locmem://":
        backend, location = "django.core.cache.backends.locmem.LocMemCache", "lieux-partages"
    elif raw.startswith(("redis://", "rediss://", "unix://")):
        backend, location = "django.core.cache.backends.redis.RedisCache", raw
        try:
            from redis.connection import parse_url

            parse_url(raw)
        except ValueError as exc:
            raise EnvError(f"{name}={raw!r} cannot be read as a Redis URL: {exc}") from None
    elif raw.startswith("file:///"):
        backend, location = "django.core.cache.backends.filebased.FileBasedCache", raw[7:]
    elif raw.startswith("db://") and raw[5:].isidentifier():
        backend, location = "django.core.cache.backends.db.DatabaseCache", raw[5:]
    else:
        raise EnvError(
            f"{name}={raw!r} is not supported: use redis://host:port/db, locmem://, "
            "file:///absolute/path or db://table_name."
        )
    return {"default": {"BACKEND": backend, "LOCATION": location}}


def _replica(name: str, raw: str) -> dict | None:
    """A read replica of DATABASE_URL; in test runs it mirrors the default database."""
    if not raw.strip():
        return None
    return {**_database(name, raw.strip()), "TEST": {"MIRROR": "default"}}


def _key_prefix(name: str, raw: str) -> str:
    raw = raw.strip()
    if any(c.isspace() or not c.isprintable() for c in raw) or len(raw) > 100:
        raise EnvError(f"{name}={raw!r} must be at most 100 printable characters, no spaces.")
    return raw


def _header(name: str, raw: str) -> str:
    raw = raw.strip()
    if raw and not re.fullmatch(r"HTTP_[A-Z0-9_]+", raw):
        raise EnvError(
            f"{name}={raw!r} must be a request header as Django names it, e.g. HTTP_X_REAL_IP."
        )
    return raw


def _uuid(name: str, raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a UUID (e.g. {uuid.uuid4()}).") from None


def _url(name: str, raw: str) -> str:
    raw = raw.strip()
    if raw and not raw.startswith(("http://", "https://")):
        raise EnvError(f"{name}={raw!r} must start with http:// or https://.")
    return raw.rstrip("/")


VARIABLES = [
    Var("DEBUG", "false", parse_bool, "Development mode: detailed errors, no HTTPS redirect."),
    Var("SECRET_KEY", None, parse_str, "Signing key; required when DEBUG is off."),
    Var("ALLOWED_HOSTS", "localhost,127.0.0.1", parse_list, "Host names served, comma-separated."),
    Var(
        "CSRF_TRUSTED_ORIGINS",
        "",
        parse_list,
        "Origins trusted for forms, e.g. https://lieux.example.fr.",
    ),
    Var(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        _database,
        "sqlite:///path or postgres://user@host:port/name.",
    ),
    Var(
        "DATABASE_REPLICA_URL",
        "",
        _replica,
        "Optional read replica (postgres://...) that serves the public pages and API reads.",
    ),
    Var(
        "CACHE_URL",
        "",
        _cache,
        "Cache shared by the server processes: redis://host:port/db, locmem://, "
        "file:///path or db://table.",
    ),
    Var(
        "CACHE_KEY_PREFIX",
        "",
        _key_prefix,
        "Prefix of every cache key, for several sites sharing one Redis.",
    ),
    Var("TIME_ZONE", "Europe/Paris", _time_zone, "Default time zone of places and of the site."),
    Var("LANGUAGE_CODE", "fr", _language, "Default interface language: fr or en."),
    Var("EMAIL_HOST", "", parse_str, "SMTP server; empty prints emails on the console."),
    Var("EMAIL_PORT", "25", parse_int, "SMTP port."),
    Var("EMAIL_HOST_USER", "", parse_str, "SMTP user."),
    Var("EMAIL_HOST_PASSWORD", "", parse_str, "SMTP password."),
    Var("EMAIL_USE_TLS", "false", parse_bool, "Use STARTTLS with the SMTP server."),
    Var(
        "DEFAULT_FROM_EMAIL",
        "Lieux partagés <noreply@localhost>",
        parse_str,
        "Sender of outgoing emails.",
    ),
    Var(
        "SITE_URL",
        "http://localhost:8000",
        _url,
        "Public address of the site, for links in emails sent outside a request (cron).",
    ),
    Var(
        "SECURE_SSL_REDIRECT",
        None,
        parse_bool,
        "Redirect HTTP to HTTPS; defaults to on when DEBUG is off.",
    ),
    Var(
        "SECURE_HSTS_SECONDS",
        None,
        parse_int,
        "HSTS max-age; defaults to one year when DEBUG is off, 0 otherwise.",
    ),
    Var(
        "SECURE_HSTS_PRELOAD",
        None,
        parse_bool,
        "Ask browsers to preload HTTPS; defaults to on when HSTS lasts a year or more.",
    ),
    Var(
        "SECURE_PROXY_SSL_HEADER",
        "",
        parse_list,
        "Header set by a TLS proxy, e.g. HTTP_X_FORWARDED_PROTO,https.",
    ),
    Var(
        "CLIENT_IP_HEADER",
        "",
        _header,
        "Header in which a trusted proxy gives the client address, e.g. HTTP_X_REAL_IP.",
    ),
    Var(
        "GEOCODER_URL", "", _url, "Base URL of the national address API; empty turns geocoding off."
    ),
    Var("GEOCODER_TIMEOUT", "5", parse_float, "Seconds to wait for the geocoder."),
    Var(
        "OUTBOUND_ALLOW_HTTP",
        "false",
        parse_bool,
        "Accept plain http:// webhook targets (development only; https:// otherwise).",
    ),
    Var(
        "MAP_TILE_URL",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        parse_str,
        "Map tile URL template.",
    ),
    Var("MAP_ATTRIBUTION", "© OpenStreetMap contributors", parse_str, "Attribution shown on maps."),
    Var(
        "EMBED_FRAME_ANCESTORS",
        "*",
        _frame_ancestors,
        "Sites allowed to frame the embeddable directory (/embed/), space-separated.",
    ),
    Var(
        "EXPORT_ID_NAMESPACE",
        "",
        _uuid,
        "UUID namespace of the open-data exports' identifiers; empty: derived from the domain.",
    ),
]
ENV = {var.name: get(var) for var in VARIABLES}

DEBUG: bool = ENV["DEBUG"]
SECRET_KEY = ENV["SECRET_KEY"]
if not SECRET_KEY:
    if not DEBUG:
        raise EnvError(
            "SECRET_KEY is required when DEBUG is off: set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    SECRET_KEY = "development-only-insecure-key"  # noqa: S105 - only ever with DEBUG on

ALLOWED_HOSTS = ENV["ALLOWED_HOSTS"]
if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CSRF_TRUSTED_ORIGINS = ENV["CSRF_TRUSTED_ORIGINS"]
# Identifiers the exports derive from database keys (HSDS) are UUID5s in this namespace, so
# two registries never export the same id. By default it is the UUID5 of the site's domain
# (the first host served); set it to keep ids when the domain changes.
EXPORT_ID_NAMESPACE = ENV["EXPORT_ID_NAMESPACE"] or str(
    uuid.uuid5(
        uuid.NAMESPACE_DNS, (ENV["ALLOWED_HOSTS"] or ["localhost"])[0].lstrip(".*") or "localhost"
    )
)
for origin in CSRF_TRUSTED_ORIGINS:
    if not origin.startswith(("http://", "https://")):
        raise EnvError(f"CSRF_TRUSTED_ORIGINS: {origin!r} must start with http:// or https://.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "places",
    "services",
    "scheduling",
    "economics",
    "initiatives",
    "territory",
    "directory",
    "api",
]

MIDDLEWARE = [
    "config.db.PublicReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "api.middleware.JsonErrorsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    }
]

DATABASES = {"default": ENV["DATABASE_URL"]}
# Public reads (anonymous GET requests) go to the replica when there is one (config/db.py).
READ_REPLICAS: list[str] = []
if ENV["DATABASE_REPLICA_URL"]:
    DATABASES["replica"] = ENV["DATABASE_REPLICA_URL"]
    READ_REPLICAS = ["replica"]
DATABASE_ROUTERS = ["config.db.PrimaryReplicaRouter"]
CACHES = ENV["CACHE_URL"]
CACHES["default"]["KEY_PREFIX"] = ENV["CACHE_KEY_PREFIX"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "manage:login"
LOGIN_REDIRECT_URL = "manage:home"
LOGOUT_REDIRECT_URL = "manage:login"

LANGUAGE_CODE = ENV["LANGUAGE_CODE"]
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = ENV["TIME_ZONE"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Third-party front-end packages (Leaflet) are installed from npm into node_modules at
# set-up; only the files we serve are exposed, under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
if (NODE_MODULES / "leaflet" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "config.storage.StaticFilesStorage"
        )
    },
}
# With DEBUG off, pages link the hashed, compressed copies that `collectstatic` writes to
# STATIC_ROOT (docs/deployment.md). Until it has run, config.storage links the plain names
# (and logs what to run) and WhiteNoise serves them from the app folders (the finders), so
# a fresh clone, the tests and the demo work without it.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

if ENV["EMAIL_HOST"]:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = ENV["EMAIL_HOST"]
EMAIL_PORT = ENV["EMAIL_PORT"]
EMAIL_HOST_USER = ENV["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = ENV["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = ENV["EMAIL_USE_TLS"]
DEFAULT_FROM_EMAIL = ENV["DEFAULT_FROM_EMAIL"]
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = ENV["SITE_URL"]
# A reminder's confirmation link works this many days (places.freshness).
REMINDER_LINK_DAYS = 14
# Temporary delivery failures (4xx, DSN 4.x.x) block an address from this many on;
# a permanent one (5xx, 5.x.x) at once (places.emails, docs/decisions/0025).
BOUNCE_TRANSIENT_LIMIT = 3

# HTTPS hardening: on by default in production (DEBUG off), each overridable.
SECURE_SSL_REDIRECT = (
    ENV["SECURE_SSL_REDIRECT"] if ENV["SECURE_SSL_REDIRECT"] is not None else not DEBUG
)
SECURE_HSTS_SECONDS = (
    ENV["SECURE_HSTS_SECONDS"]
    if ENV["SECURE_HSTS_SECONDS"] is not None
    else (0 if DEBUG else 31_536_000)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = (
    ENV["SECURE_HSTS_PRELOAD"]
    if ENV["SECURE_HSTS_PRELOAD"] is not None
    else SECURE_HSTS_SECONDS >= 31_536_000
)
if ENV["SECURE_PROXY_SSL_HEADER"]:
    if len(ENV["SECURE_PROXY_SSL_HEADER"]) != 2:
        raise EnvError("SECURE_PROXY_SSL_HEADER must be two comma-separated values: HEADER,value.")
    SECURE_PROXY_SSL_HEADER = tuple(ENV["SECURE_PROXY_SSL_HEADER"])
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CLIENT_IP_HEADER = ENV["CLIENT_IP_HEADER"]
GEOCODER_URL = ENV["GEOCODER_URL"]
GEOCODER_TIMEOUT = ENV["GEOCODER_TIMEOUT"]
MAP_TILE_URL = ENV["MAP_TILE_URL"]
# Webhook targets (places/outbound.py): https only unless this is on, public addresses only.
OUTBOUND_ALLOW_HTTP = ENV["OUTBOUND_ALLOW_HTTP"]
# Networks let through despite being private: for the test suite's local receiver only,
# deliberately not read from the environment.
OUTBOUND_ALLOWED_NETWORKS: list[str] = []
MAP_ATTRIBUTION = ENV["MAP_ATTRIBUTION"]
# Only /embed/ pages may be framed, by these sources; every other page refuses framing.
EMBED_FRAME_ANCESTORS = ENV["EMBED_FRAME_ANCESTORS"]

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.openapi.ApiAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonymousThrottle",
        "api.throttling.PartnerThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": "format",
}
# Requests per client: anonymous reads by IP address, partners by token (docs/api.md).
API_RATE_LIMITS = {"anonymous": "120/min", "partner": "1200/min"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lieux partagés API",
    "DESCRIPTION": (
        "The partner API of the registry of shared places. Reading published data needs "
        "no account; writes need a partner token (`Authorization: Bearer <token>`) with "
        "the matching scope. Errors are JSON: "
        '`{"error": {"code", "message", "fields": {path: [messages]}}}`. '
        "See docs/api.md for pagination, synchronisation and formats."
    ),
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
