"""Motif settings. Every switch is an environment variable (django-environ); the defaults are the
embedded ones that `make run` and `make test` use: SQLite under var/, Dramatiq's StubBroker with an
in-process worker, the in-process chain and the local payment gateway."""

import os
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MOTIF_VAR_DIR", default=str(BASE_DIR / "var")))
# var/ holds the embedded database, media, keys and caches; static files are collected there too.
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver"]),
)
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# The development key is only accepted while DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="motif-development-only-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django_dramatiq configures the global broker in its AppConfig, so it must load before any actor.
    "django_dramatiq",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, not a CDN
    "csp",
    "marketplace",
    "marketplace.payments",
    "marketplace.royalties",
    "stylization",
    "provenance",
    "frontend",
]

MIDDLEWARE = [
    # First, so an oversized or chunked body is refused before anything reads it.
    "marketplace.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "marketplace.middleware.RequestOriginMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # config/templates overrides third-party templates (Swagger UI: a CSP nonce on its style).
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.limits",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'motif.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database lets worker and server subprocesses share it with the test process;
    # WAL and a busy timeout keep the in-process worker thread from tripping over the web thread.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # One file per test run (by process id), so parallel runs on one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections for the web and worker processes in production (seconds; 0 closes each
# connection at the end of the request, as the tests need); health checks drop a dead one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

AUTH_USER_MODEL = "marketplace.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# MEDIA_STORAGE_BACKEND: "local" (the default, MEDIA_ROOT), "s3" (django-storages on boto3, any
# S3-compatible store), or a dotted storage class.
_MEDIA_BACKENDS = {
    "local": "django.core.files.storage.FileSystemStorage",
    "s3": "storages.backends.s3.S3Storage",
}
MEDIA_STORAGE_BACKEND = env.str("MEDIA_STORAGE_BACKEND", default="local")
STORAGES = {
    "default": {"BACKEND": _MEDIA_BACKENDS.get(MEDIA_STORAGE_BACKEND, MEDIA_STORAGE_BACKEND)},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Media is never served directly: originals and outputs go through permission-checked views, which
# stream local files or, on S3, redirect to a presigned URL that expires (marketplace/media.py).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# django-storages' standard settings. The bucket stays private: no ACL is set on objects, every URL
# is signed, and it lives AWS_QUERYSTRING_EXPIRE seconds.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=300)
AWS_S3_FILE_OVERWRITE = False
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_S3_ADDRESSING_STYLE = env.str(
    "AWS_S3_ADDRESSING_STYLE", default="path" if AWS_S3_ENDPOINT_URL else "auto"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: refuse anything bigger before it is decoded. Patterns, styles and a buyer's own image
# take MOTIF_MAX_UPLOAD_BYTES; the verification portal takes a delivered print file, which at 600 DPI
# is larger, so it has a limit of its own.
MOTIF_MAX_UPLOAD_BYTES = env.int("MOTIF_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
MOTIF_MAX_UPLOAD_PIXELS = env.int("MOTIF_MAX_UPLOAD_PIXELS", default=40_000_000)
MOTIF_MAX_VERIFY_BYTES = env.int("MOTIF_MAX_VERIFY_BYTES", default=60 * 1024 * 1024)
# Request bodies (marketplace.middleware.RequestBodyLimitMiddleware refuses a larger one from its
# Content-Length, before it is read). A JSON or form body: the largest the product takes is a Stripe
# event (tens of kilobytes), and a decoded JSON body takes many times its size in memory. Django
# applies the same limit to the fields of a multipart form, but not to its files.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MOTIF_MAX_BODY_BYTES", default=1024 * 1024)
# A multipart body: the largest file an endpoint takes (MOTIF_MAX_VERIFY_BYTES or
# MOTIF_MAX_UPLOAD_BYTES) with the form's fields.
MOTIF_MAX_MULTIPART_BYTES = env.int(
    "MOTIF_MAX_MULTIPART_BYTES", default=max(MOTIF_MAX_VERIFY_BYTES, MOTIF_MAX_UPLOAD_BYTES) + 2 * 1024 * 1024
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.schema.MotifAutoSchema",
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    # JSON nested past a small depth is refused before it is decoded (marketplace/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttles key on the client address. With NUM_PROXIES=0 that is REMOTE_ADDR and X-Forwarded-For
    # is ignored; behind N trusted proxies it is the address the outermost trusted proxy saw, so a
    # client cannot pick its own identity by sending the header.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "verify": env.str("VERIFY_RATE_LIMIT", default="60/min"),
        # Sign-in and token requests: per client address, and per username across all addresses.
        "login": env.str("LOGIN_RATE_LIMIT", default="20/min"),
        "login_username": env.str("LOGIN_USERNAME_RATE_LIMIT", default="10/min"),
        "register": env.str("REGISTER_RATE_LIMIT", default="30/hour"),
        # Infringement reports, per account.
        "report": env.str("REPORT_RATE_LIMIT", default="10/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Motif API",
    "DESCRIPTION": "Surface-pattern marketplace: styles, base patterns, personalizations, orders.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "marketplace.models.OrderStatus",
        "JobStatusEnum": "marketplace.models.JobStatus",
        "ChainStatusEnum": "provenance.models.ChainStatus",
        "RepeatTypeEnum": "marketplace.models.RepeatType",
        "LicenceUseEnum": "marketplace.models.LicenceUse",
        # `found_by` and `match.method` name the same lookups: one enum in the schema.
        "VerifyMethodEnum": "provenance.api.VERIFY_METHODS",
    },
}

# --- Background jobs -------------------------------------------------------------------------------
# Empty: StubBroker, processed by a worker thread inside the web process (`manage.py serve`).
# redis://… or amqp://…: separate `manage.py rundramatiq` workers.
DRAMATIQ_BROKER_URL = env.str("DRAMATIQ_BROKER_URL", default="")
_DRAMATIQ_MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    "dramatiq.middleware.CurrentMessage",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    # Last, so its after-hooks run first: a job's row is marked before the connection is closed.
    "marketplace.jobs.BackgroundJobs",
]
if DRAMATIQ_BROKER_URL.startswith("redis"):
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        # A worker that dies (even by SIGKILL) stops heart-beating; its unacked messages go back to the
        # queue after this many milliseconds, so the job is retried by another worker.
        "OPTIONS": {
            "url": DRAMATIQ_BROKER_URL,
            "heartbeat_timeout": env.int("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", default=60_000),
            "namespace": env.str("DRAMATIQ_NAMESPACE", default="motif"),
            # Per million commands; maintenance is what re-queues a dead worker's messages.
            "maintenance_chance": env.int("DRAMATIQ_MAINTENANCE_CHANCE", default=1000),
        },
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
elif DRAMATIQ_BROKER_URL.startswith("amqp"):
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.rabbitmq.RabbitmqBroker",
        "OPTIONS": {"url": DRAMATIQ_BROKER_URL},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# The embedded worker thread runs inside `manage.py serve` when no external broker is configured.
MOTIF_EMBEDDED_WORKER = env.bool("MOTIF_EMBEDDED_WORKER", default=not DRAMATIQ_BROKER_URL)

# --- Fulfilment (marketplace.services.fulfilment) ------------------------------------------------
# A working step renews its lease on every progress report; a lapsed lease means its worker died.
FULFILMENT_LEASE_S = env.int("FULFILMENT_LEASE_S", default=300)
# The watchdog: a line in one stage this long with no live lease is sent on again, this many times,
# and then failed (and refunded).
FULFILMENT_STAGE_TIMEOUT_S = env.int("FULFILMENT_STAGE_TIMEOUT_S", default=2 * 3600)
FULFILMENT_WATCHDOG_MAX_RESENDS = env.int("FULFILMENT_WATCHDOG_MAX_RESENDS", default=3)
# How often the embedded worker (and `requeue_jobs --every`) runs the watchdog's sweep.
FULFILMENT_SWEEP_INTERVAL_S = env.int("FULFILMENT_SWEEP_INTERVAL_S", default=60)
# A BackgroundJob (a refund, a takedown's revocations) silent this long past what its actor may take
# (its time limit while it runs, its longest backoff between retries) is sent again by that sweep.
BACKGROUND_JOB_RESEND_AFTER_S = env.int("BACKGROUND_JOB_RESEND_AFTER_S", default=600)

# Approval of derivatives (issue 18): a proof the artist leaves unanswered this long is declined
# and refunded.
ARTIST_APPROVAL_TIMEOUT_S = env.int("ARTIST_APPROVAL_TIMEOUT_S", default=5 * 86400)

# --- Stylization -----------------------------------------------------------------------------------
STYLIZATION_DEVICE = env.str("STYLIZATION_DEVICE", default="auto")
STYLIZATION_ENCODER = env.str("STYLIZATION_ENCODER", default="auto")
STYLIZATION_VGG19_WEIGHTS = env.str("STYLIZATION_VGG19_WEIGHTS", default="")
STYLIZATION_CACHE_DIR = env.str("STYLIZATION_CACHE_DIR", default=str(VAR_DIR / "cache" / "stylization"))
# The neural preview's long side in pixels; instant colour-transfer previews are shown meanwhile.
STYLIZATION_PREVIEW_SIZE = env.int("STYLIZATION_PREVIEW_SIZE", default=256)
# The largest print sheet (the tile laid out over a product at the pattern's DPI) Motif will make.
MOTIF_MAX_SHEET_PIXELS = env.int("MOTIF_MAX_SHEET_PIXELS", default=300_000_000)
# Device slots per process (stylization/device_slots.py): previews and final renders never wait
# for each other; within a kind, jobs take turns.
STYLIZATION_PREVIEW_SLOTS = env.int("STYLIZATION_PREVIEW_SLOTS", default=1)
STYLIZATION_FINAL_SLOTS = env.int("STYLIZATION_FINAL_SLOTS", default=1)
# Listing a style (or changing its image) queues the training of its feed-forward preview model on the
# `train_style_model` queue; previews use the model once it is ready, the optimiser until then.
STYLIZATION_STYLE_MODELS = env.bool("STYLIZATION_STYLE_MODELS", default=True)
# What a ready style model's one-pass tile is for. "painted": it is shown at once while the optimiser
# paints the preview the buyer approves (2-4 s at 256² on a CPU core; the model's tile reads as a
# filter, the optimiser's as a painting: stylization/EXPERIMENTS.md). "live": it is the preview, and
# the configurator re-renders on every slider move (for a fleet without the CPU to paint each one).
STYLIZATION_PREVIEW_METHOD = env.str("STYLIZATION_PREVIEW_METHOD", default="painted")
if STYLIZATION_PREVIEW_METHOD not in ("painted", "live"):
    raise ImproperlyConfigured(
        f"STYLIZATION_PREVIEW_METHOD must be painted or live, not {STYLIZATION_PREVIEW_METHOD!r}"
    )
# Overrides of stylization.engine.feedforward.ModelConfig fields (part of a model's identity); tests
# use a tiny one.
STYLIZATION_STYLE_MODEL_CONFIG: dict[str, object] = {}

# --- Payments ----------------------------------------------------------------------------------------
# With no Stripe key the local test gateway is used; it is refused when DEBUG is off.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_S = env.int("STRIPE_WEBHOOK_TOLERANCE_S", default=300)
# Point the SDK at another server (stripe-mock, or the loopback fake in the tests).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_CONNECT_BASE = env.str("STRIPE_CONNECT_BASE", default="")
# The public address of the site, for the return links that Stripe sends people back to.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Print production and notifications ------------------------------------------------------------
# An unapproved proof approves itself after this long, with a reminder e-mail this long before.
PROOF_AUTO_APPROVE_AFTER_S = env.int("PROOF_AUTO_APPROVE_AFTER_S", default=72 * 3600)
PROOF_REMINDER_BEFORE_S = env.int("PROOF_REMINDER_BEFORE_S", default=24 * 3600)
# Shipping addresses are blanked (all but the country) this long after an order is finished.
SHIPPING_ADDRESS_RETENTION_DAYS = env.int("SHIPPING_ADDRESS_RETENTION_DAYS", default=90)
# E-mail: the console under `make run`; in production SMTP from EMAIL_URL
# (smtp+tls://user:password@host:587), or an Anymail provider: EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend
# with its settings as ANYMAIL_<NAME> variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN).
_email: dict[str, object] = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=str(_email["EMAIL_BACKEND"]))
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Motif <orders@motif.example>")
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="motif.example")

# --- Provenance -------------------------------------------------------------------------------------
# Empty: the in-process py-evm chain (tests). `make run` sets it to its local anvil node.
CHAIN_RPC_URL = env.str("CHAIN_RPC_URL", default="")
CHAIN_ID = env.int("CHAIN_ID", default=31337)
CHAIN_PRIVATE_KEY = env.str("CHAIN_PRIVATE_KEY", default="")
CHAIN_KEYSTORE_PATH = env.str("CHAIN_KEYSTORE_PATH", default="")
CHAIN_KEYSTORE_PASSWORD = env.str("CHAIN_KEYSTORE_PASSWORD", default="")
CHAIN_CONFIRMATIONS = env.int("CHAIN_CONFIRMATIONS", default=0)
# The port of the anvil node that `manage.py serve` starts when CHAIN_RPC_URL is empty.
LOCAL_CHAIN_PORT = env.int("LOCAL_CHAIN_PORT", default=8545)
CHAIN_TIMEOUT_S = env.float("CHAIN_TIMEOUT_S", default=10.0)
# "single": one transaction per record; "batch": Merkle roots anchored for many records at once.
PROVENANCE_MODE = env.str("PROVENANCE_MODE", default="single")
PROVENANCE_BATCH_SIZE = env.int("PROVENANCE_BATCH_SIZE", default=100)
# The C2PA signing chain (root, intermediate, signer certificate and key as PEM files). Where the
# folder is empty a development CA, intermediate and ES256 signer are generated in it on first use.
PROVENANCE_KEYS_DIR = env.str("PROVENANCE_KEYS_DIR", default=str(VAR_DIR / "keys"))
# The CA that verification trusts; empty means the root certificate in PROVENANCE_KEYS_DIR.
C2PA_TRUST_ANCHOR_PATH = env.str("C2PA_TRUST_ANCHOR_PATH", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Security headers ------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see config/deploy/).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preload is a commitment (every subdomain on HTTPS for good); set SECURE_HSTS_PRELOAD=false before
    # the domain is ready for it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # The health check answers plain HTTP on loopback for the process supervisor.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# Content-Security-Policy (django-csp 4). Scripts only from this origin: htmx and Alpine are vendored.
# Alpine's standard build evaluates its attribute expressions with `new Function`, so script-src
# admits 'unsafe-eval'; no inline <script> and no script from another origin runs. No template puts
# request data into an Alpine expression (values reach components through data-* attributes).
# Inline style attributes are admitted (style-src-attr); <style> elements need the request's nonce.
_CSP_MEDIA_ORIGINS = [o for o in env.list("CSP_MEDIA_ORIGINS", default=[]) if o]
if MEDIA_STORAGE_BACKEND == "s3" and AWS_S3_ENDPOINT_URL:
    # Previews are <img>s whose permission-checked URL redirects to a presigned one on the store.
    _CSP_MEDIA_ORIGINS.append(AWS_S3_ENDPOINT_URL.rstrip("/"))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, "'unsafe-eval'"],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_CSP_MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Checkout and payout onboarding leave by a form post that redirects to Stripe.
        "form-action": [
            SELF,
            "https://checkout.stripe.com",
            "https://connect.stripe.com",
            *env.list("CSP_FORM_ACTION_ORIGINS", default=[]),
        ],
    },
}
