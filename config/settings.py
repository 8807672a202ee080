"""The one settings module: everything that differs between machines comes from the environment.

Development (DEBUG=1, what the README's start command sets) needs nothing else: SQLite and
Celery's filesystem broker in the data folder, and a secret key and an encryption key generated
there once. With DEBUG off, missing keys stop start-up with a message naming the variable.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from accounts import schedules as accounts_schedules
from alerts import schedules as alerts_schedules
from config import env
from config.celery import broker_transport_options
from premium import schedules as premium_schedules
from providers import schedules as providers_schedules
from redirect_schedules import schedules as redirect_schedules_schedules
from sms import schedules as sms_schedules
from snapshots import schedules as snapshots_schedules
from spikon import schedules as spikon_schedules

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.get_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env.get_bool("DEBUG", default=False)


def _development_secret(name: str, filename: str, make: Callable[[], str]) -> str:
    """Read a key generated once into the data folder; only allowed in development."""
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it in the environment (DEBUG is off, so no development key is made)."
        )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.get_str("SECRET_KEY") or _development_secret(
    "SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50)
)

_raw_encryption_keys = env.get_list("ENCRYPTION_KEYS") or [
    _development_secret("ENCRYPTION_KEYS", "encryption_key", lambda: Fernet.generate_key().decode())
]
for _key in _raw_encryption_keys:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be a comma-separated list of Fernet keys (newest first); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None
# Newest first: new secrets are encrypted under the first key, every key can decrypt.
ENCRYPTION_KEYS = _raw_encryption_keys

# Hosts besides each provider's official address that an account may be pointed at (its own sandbox,
# a provider's test server); this machine's sandboxes are allowed only in development.
ALLOWED_PROVIDER_HOSTS = [host.lower() for host in env.get_list("ALLOWED_PROVIDER_HOSTS")]
PROVIDER_SANDBOXES_ALLOWED = DEBUG

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the built-in widget templates, for config.forms.FormRenderer
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "accounts",
    "providers",  # what the provider apps share: before them
    "premium",
    "spikon",
    "sms",
    "alerts",  # reads the three provider apps' copies: after them
    "snapshots",  # the provider set-up as a whole: after the provider apps
    "redirect_schedules",
    "api",
]

MIDDLEWARE = [
    "accounts.middleware.ClientAddressMiddleware",
    "accounts.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.NullCharacterMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxMessagesMiddleware",
    "accounts.middleware.HtmxRefusedFormMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "config.forms.FormRenderer"
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
                "accounts.context_processors.navigation",
                "providers.context_processors.demo_data",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "template_partials.templatetags.partials",
                "providers.templatetags.numbers",
                "providers.templatetags.texts",
            ],
        },
    }
]

# Databases ---------------------------------------------------------------------------------------
_database_url = env.get_str("DATABASE_URL")
if _database_url:
    env.check_url_scheme("DATABASE_URL", _database_url, ("postgres", "postgresql", "sqlite"))
    try:
        _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _database = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "db.sqlite3"}
SILENCED_SYSTEM_CHECKS: list[str] = []
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no covering indexes: it keeps their key columns, which is all it needs (models.W040).
    SILENCED_SYSTEM_CHECKS.append("models.W040")
    # WAL, immediate transactions and a busy timeout let the web process and the worker write at once.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a Celery worker started by a test sees the test database.
    _database["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = env.get_int("SESSION_COOKIE_AGE", 12 * 3600)

OTP_TOTP_ISSUER = env.get_str("OTP_TOTP_ISSUER", "Telecom dashboard")

# Audit events older than this are removed by the daily housekeeping task.
AUDIT_RETENTION_DAYS = env.get_int("AUDIT_RETENTION_DAYS", 730)

AXES_FAILURE_LIMIT = env.get_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.get_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "api_key", "apikey", "token"]

# Internationalisation ----------------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# Static and media files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.get_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media (invoices, recordings, TTS audio) have no public URL: views that check the tenant serve them.
MEDIA_ROOT = Path(env.get_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email -------------------------------------------------------------------------------------------
# In production, no EMAIL_URL means no email (said in the logs at start-up): no default could reach a server.
_email_url = env.get_str("EMAIL_URL", "console://" if DEBUG else "")
EMAIL_ENABLED = bool(_email_url)
globals().update(env.parse_email_url("EMAIL_URL", _email_url or "dummy://"))
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "dashboard@localhost")
# The dashboard's public address, for links in emails made by workers (which have no request to read it from).
SITE_URL = env.get_site_url("SITE_URL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery and the cache ----------------------------------------------------------------------------
# Queues and routes are in config/celery.py. A namespace (a test run) keeps its messages apart from
# those of a worker running on the same broker.
BROKER_NAMESPACE = env.get_str("BROKER_NAMESPACE")
REDIS_URL = env.get_str("REDIS_URL")
# The cache holds the API's request counts: on Redis every web process shares them; without Redis
# (development) each process counts its own.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if REDIS_URL:
    CELERY_BROKER_URL = env.check_url_scheme("REDIS_URL", REDIS_URL, ("redis", "rediss"))
else:
    CELERY_BROKER_URL = "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(bool(REDIS_URL), DATA_DIR, BROKER_NAMESPACE)
CELERY_TASK_IGNORE_RESULT = True  # the state of a job lives in its model row
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "config.beat:Scheduler"
# Each app declares its periodic tasks in `<app>/schedules.py` (plain data); beat copies them into
# the database, where an admin can change them at run time.
CELERY_BEAT_SCHEDULE = {
    **accounts_schedules.BEAT_SCHEDULE,
    **alerts_schedules.BEAT_SCHEDULE,
    **providers_schedules.BEAT_SCHEDULE,
    **premium_schedules.BEAT_SCHEDULE,
    **spikon_schedules.BEAT_SCHEDULE,
    **sms_schedules.BEAT_SCHEDULE,
    **snapshots_schedules.BEAT_SCHEDULE,
    **redirect_schedules_schedules.BEAT_SCHEDULE,
}
# Configuration snapshots older than this many days are deleted (the daily snapshot task).
SNAPSHOT_RETENTION_DAYS = env.get_int("SNAPSHOT_RETENTION_DAYS", 90)

# Health ------------------------------------------------------------------------------------------
# /healthz/ready fails once the worker heartbeat (a task beat queues every minute) is older than this.
WORKER_HEARTBEAT_MAX_AGE = timedelta(seconds=env.get_int("WORKER_HEARTBEAT_MAX_AGE", 300))
# Beat touches this file on every tick; `manage.py check_beat` (its health check) reads its age.
BEAT_HEARTBEAT_FILE = Path(env.get_str("BEAT_HEARTBEAT_FILE", str(DATA_DIR / "beat-heartbeat")))
BEAT_HEARTBEAT_MAX_AGE = timedelta(seconds=env.get_int("BEAT_HEARTBEAT_MAX_AGE", 60))

# REST API ----------------------------------------------------------------------------------------
API_REQUESTS_PER_MINUTE = env.get_int("API_REQUESTS_PER_MINUTE", 120)

# Billing -----------------------------------------------------------------------------------------
# A billing CSV of more calls than this is made by the reports worker, not streamed in the request: a sync
# gunicorn worker is killed after GUNICORN_TIMEOUT (120 s) mid-stream. The export streams ~17,000 lines a
# second on a quiet machine and ~5,500 on 2 busy cores (bench/), so 500,000 lines take 30-90 s.
BILLING_CSV_STREAM_MAX_CALLS = env.get_int("BILLING_CSV_STREAM_MAX_CALLS", 500_000)

# Security ----------------------------------------------------------------------------------------
# Behind a TLS proxy the client's address is read from X-Forwarded-For, at the place the trusted
# proxies (TRUSTED_PROXY_COUNT of them in a chain) wrote it (accounts.middleware.client_address).
BEHIND_TLS_PROXY = env.get_bool("BEHIND_TLS_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.get_int("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT must be 1 or more: the proxies in front of the dashboard."
    )
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list binds the whole domain for months: the operator's choice.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Error pages (DEBUG) and error emails mask credentials wherever a failing request held them.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.SecretsFilter"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Logging -----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every page it lays out at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
