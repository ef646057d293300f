"""Settings, read from the environment (and from `.env` when present).

Every variable is read here, and listed in docs/configuration.md and `.env.example`. With nothing
set the app runs on SQLite and a Celery broker kept in files under `var/`, so it needs no server;
with `DATABASE_URL` and `REDIS_URL` it uses PostgreSQL and Redis.

What is built from the variables at length lives beside, one purpose a module: the database's
options (`config/settings_database.py`), Celery's queues and beat's schedule
(`config/settings_tasks.py`), log lines and error reports (`config/settings_logging.py`).
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import settings_tasks
from config.settings_database import database
from config.settings_logging import every_minute, logging_config, sentry_start

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A key anyone can read here, for development only: with DEBUG off the app does not start on it,
# as whoever knows it can forge sessions and read the connectors' signing secrets.
_development_key = "insecure-development-key-set-SECRET_KEY-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_development_key)
# Encrypts connectors' signing secrets at rest; derived from SECRET_KEY when empty.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not DEBUG and _development_key in (SECRET_KEY, FIELD_ENCRYPTION_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY (or FIELD_ENCRYPTION_KEY) is the development key written in config/settings.py, "
        "and DEBUG is off: set SECRET_KEY to a long random value of your own (docs/configuration.md)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "axes",
    "kit",
    "accounts",
    "authorization",
    "catalog",
    "connectors",
    "orders",
    "insight",
    "connector_api",
    "operations",
    "exports",
    "demo",
]

MIDDLEWARE = [
    # First: probes by address over plain HTTP answered before the host check and the redirect.
    "operations.middleware.HealthProbes",
    # Every other request counted and timed by the view that answers it (GET /metrics).
    "operations.middleware.RequestMetrics",
    # Each request's id, in its log lines and error reports, and in the X-Request-ID answered.
    "kit.logs.RequestLogContext",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "connector_api.middleware.RefuseNulInUrl",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.AccountTimeZone",
    "accounts.middleware.UserLanguage",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.csp",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL with DATABASE_URL; each engine's options and why they
# are so: config/settings_database.py.
DATABASES = {
    "default": database(
        env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", default=60),
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        tcp_user_timeout=env.float("DATABASE_TCP_USER_TIMEOUT", default=10),
        idle_in_transaction_timeout=env.float("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default=300),
        prepared_statements=env.bool("DATABASE_PREPARED_STATEMENTS", default=True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.AccountRoleBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The admin speaks each person's language: their own setting (`accounts.middleware.UserLanguage`),
# else the browser's Accept-Language. The connector contract's codes and messages stay English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "admin:login"
# Where a login lands when it names no page of this site to go back to (`next` elsewhere is ignored).
LOGIN_REDIRECT_URL = "admin:index"

# Admin logins are locked for a while after repeated failures from one address for one user.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# E-mail: console by default; EMAIL_URL=smtp+tls://user:password@host:587 for SMTP.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": env.int("EMAIL_TIMEOUT", default=10),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _smtp_options.items() if value not in (None, "")}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="order-authorization@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.UserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every API takes JSON only, through a parser answering 400 to JSON too deep to parse or holding NUL.
    "DEFAULT_PARSER_CLASSES": ["kit.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "kit.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Order Authorization API",
    "DESCRIPTION": (
        "Connector API (order integration) and seller API (price divergence rule, catalog, "
        "orders). Money is integer cents everywhere. Bodies are JSON in UTF-8; a number where an "
        "integer is expected is written without a fraction or an exponent (2580, not 2580.0), and "
        "no string or key holds the character U+0000, which no database stores."
    ),
    "VERSION": "1.0.0",
    # 3.0, whose schemas read JSON Schema draft 4: an `integer` is written without a fraction (kit.openapi).
    "OAS_VERSION": "3.0.3",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from the app's own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from the public validator: the docs load nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kit.openapi.require_bodies",
        "kit.openapi.document_errors",
        "kit.openapi.as_openapi_30",
    ],
}

# CSV import of the catalog: all rows or none, in one transaction. A previewed file waits for its
# confirmation in the "imports" storage (IMPORT_ROOT), never in the system's temp folder.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_TMP_STORAGE_CLASS = "catalog.imports.ImportFiles"
IMPORT_ROOT = env.str("IMPORT_ROOT", default=str(VAR_DIR / "imports"))

# Celery: Redis when REDIS_URL is set, otherwise a broker kept in files (no server needed).
REDIS_URL = env.str("REDIS_URL", default="")
# Put before every key the app keeps on Redis (the broker's, its queue-once marks, the connectors'
# credentials generation), so that apps or test runs sharing one Redis database keep apart.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in (_broker_dir, VAR_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
else:
    # Bounded waits on Redis: a broker that is down or unreachable fails a publish within
    # seconds (the sweeps queue the work later) instead of holding the request on the OS's timeouts.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Set below, from the longest retry delay (a task waiting for its countdown is one not acknowledged).
        "visibility_timeout": None,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        **({"global_keyprefix": REDIS_KEY_PREFIX} if REDIS_KEY_PREFIX else {}),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
# Celery's Django integration closes the database connection around every task unless told to
# reuse it: a new PostgreSQL connection per task, two tasks per order. Reused here, bounded by
# DATABASE_CONN_MAX_AGE, and dropped when broken (`config/celery.py`, as Django does per request).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Where beat keeps when each sweep last ran; its folder is made when beat starts (config/celery.py).
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULER = "config.celery:Schedule"
# How often each worker and beat stamp their heartbeat, and how old one may be before
# /health/ready reports that process missing (docs/operations.md#health).
HEALTH_HEARTBEAT_SECONDS = env.float("HEALTH_HEARTBEAT_SECONDS", default=15.0)
HEALTH_HEARTBEAT_MAX_AGE = env.float("HEALTH_HEARTBEAT_MAX_AGE", default=60.0)
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=2.0)
# GET /metrics (docs/operations.md, "Metrics"): the bearer token it asks for (empty: none), and how
# long a process keeps what a scrape read from the database and Redis.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_CACHE_SECONDS = env.float("METRICS_CACHE_SECONDS", default=5.0)
CELERY_TIMEZONE = TIME_ZONE
# The queues, the queue of each task and beat's schedule of the sweeps: config/settings_tasks.py.
CELERY_TASK_DEFAULT_QUEUE = settings_tasks.DEFAULT_QUEUE
CELERY_TASK_QUEUES = settings_tasks.QUEUES
CELERY_TASK_ROUTES = settings_tasks.ROUTES
CELERY_BEAT_SCHEDULE = settings_tasks.BEAT_SCHEDULE

# Order intake and notifications to connectors.
ORDER_BODY_MAX_BYTES = env.int("ORDER_BODY_MAX_BYTES", default=512 * 1024)
CONNECTOR_AUTH_CACHE_SECONDS = env.float("CONNECTOR_AUTH_CACHE_SECONDS", default=5.0)
# Requests a connector may send (200/s, 12000/min, 3600/h; 0: none), counted in Redis across every
# web process; a connector's own rate in the admin replaces it (connectors.checks holds its form).
CONNECTOR_RATE_LIMIT = env.str("CONNECTOR_RATE_LIMIT", default="200/s")
NOTIFICATION_TIMEOUT_SECONDS = env.float("NOTIFICATION_TIMEOUT_SECONDS", default=5.0)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=10)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=10.0)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=3600.0)
NOTIFICATION_INLINE_SECONDS = env.float("NOTIFICATION_INLINE_SECONDS", default=1.0)
INTAKE_MAX_ATTEMPTS = env.int("INTAKE_MAX_ATTEMPTS", default=8)
# Approvers' e-mails (orders.approval_mail): one digest per approver per interval at most, and
# the last approver of a chain reminded this many times per order.
APPROVAL_EMAIL_INTERVAL_MINUTES = env.int("APPROVAL_EMAIL_INTERVAL_MINUTES", default=10)
APPROVAL_REMINDERS = env.int("APPROVAL_REMINDERS", default=3)
# Received submissions a worker claims and processes together (orders.intake.pipeline).
INTAKE_BATCH_SIZE = env.int("INTAKE_BATCH_SIZE", default=100)

# Order hooks: each status change POSTed to the URL a connector configured (contract: 5 s).
HOOK_TIMEOUT_SECONDS = env.float("HOOK_TIMEOUT_SECONDS", default=5.0)
HOOK_MAX_ATTEMPTS = env.int("HOOK_MAX_ATTEMPTS", default=10)
HOOK_RETRY_BASE_SECONDS = env.float("HOOK_RETRY_BASE_SECONDS", default=10.0)
HOOK_RETRY_MAX_SECONDS = env.float("HOOK_RETRY_MAX_SECONDS", default=3600.0)
# Redis gives a task it handed out, but which was not acknowledged within this many seconds, to
# another worker: a task waiting out a countdown is such a task. Twice the longest retry delay
# (jitter adds a tenth), so a retry is never delivered twice (connectors.checks holds it).
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 0) is None:
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int(
        "BROKER_VISIBILITY_TIMEOUT",
        default=int(2 * max(NOTIFICATION_RETRY_MAX_SECONDS, HOOK_RETRY_MAX_SECONDS)),
    )
# Connectors choose the URLs the app calls (endpoints, hooks): loopback, private and other non-public
# addresses are refused unless allowed (connectors.egress). HOOK_ALLOW_PRIVATE_URLS is its earlier name.
HOOK_ALLOW_PRIVATE_URLS = env.bool("HOOK_ALLOW_PRIVATE_URLS", default=False)
OUTBOUND_ALLOW_PRIVATE_URLS = env.bool("OUTBOUND_ALLOW_PRIVATE_URLS", default=HOOK_ALLOW_PRIVATE_URLS)
# The demo connector's receiver at SITE_URL/demo/connector, which bin/run turns on (demo/receiver.py).
DEMO_RECEIVER = env.bool("DEMO_RECEIVER", default=False)

# CSV exports of the admin's lists: up to EXPORT_INLINE_MAX_ROWS rows stream at once, longer lists
# are written by a worker into the "exports" storage, which no URL serves (the download view checks
# permissions), and deleted EXPORT_RETENTION_HOURS after they were written.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=10_000)
EXPORT_RETENTION_HOURS = env.int("EXPORT_RETENTION_HOURS", default=24)
EXPORT_ROOT = env.str("EXPORT_ROOT", default=str(VAR_DIR / "exports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EXPORT_ROOT, "base_url": None},
    },
    "imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": IMPORT_ROOT, "base_url": None},
    },
}

# Readable text by default, or LOG_FORMAT=json: one JSON object a line with the request id, the
# account, connector and order the line is about (config/settings_logging.py, kit.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Error reports go to Sentry only when SENTRY_DSN is set (docs/operations.md#error-tracking), with
# no personal data; without it nothing is sent anywhere. Beat's entries run more often than once a
# minute are monitored by config/celery.py instead of Sentry's Celery integration.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_EVERY_MINUTE = every_minute(CELERY_BEAT_SCHEDULE)
if SENTRY_DSN:
    sentry_start(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        every_minute=SENTRY_EVERY_MINUTE,
    )

# Production hardening; `manage.py check --deploy` is clean when DEBUG is off and these hold.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy: everything from this site, no script or style written in a page but
# those carrying the request's nonce (templates: {% csp_nonce_attr %}), never framed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
