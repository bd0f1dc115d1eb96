"""Django settings for t3site.

Everything a user can change comes from the environment through t3site.config
(docs/contract.md §1); the rest is fixed here.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from t3site import config, home

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = config.load()

try:
    T3SITE_HOME = home.ensure_home(CONFIG.home)
    SECRET_KEY = home.server_secret(T3SITE_HOME)
except home.HomeError as exc:
    # manage.py prints ImproperlyConfigured as one line.
    raise ImproperlyConfigured(str(exc)) from None
DEBUG = CONFIG.debug

# The server is reached by whatever name or address the user's device has for it
# (LAN IP, tailnet name, HTTPS front): the host is not a trust boundary here.
# Credentials are; cookies are host-only and cookie auth checks the Origin.
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "daphne",
    "pairing.apps.OwnerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "pairing",
    "endpoints",
    "environments",
    "workspace",
    "agents",
    "relay",
    # The server process (serve, pair, the listener), on top of every app it serves.
    "server",
]

MIDDLEWARE = [
    "pairing.middleware.TrustedProxyMiddleware",
    # Above WhiteNoise and every error page, so that each response carries the policy.
    "t3site.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pairing.middleware.SecureCsrfCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "pairing.middleware.DeviceSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Devices authenticate with t3site's own device sessions (pairing.middleware), not with
# Django's username/password sessions, so the admin's checks for those two middlewares are
# satisfied by DeviceSessionMiddleware, which sets request.user itself.
SILENCED_SYSTEM_CHECKS = [
    "admin.E408",
    "admin.E410",
    # `check --deploy` assumes a site served only over HTTPS. t3site is reached over plain http on
    # loopback, the LAN and the tailnet, and over HTTPS only through a front (Tailscale Serve, a proxy);
    # docs/security.md ("Deployment checks") says why each of these is answered otherwise:
    "security.W004",  # HSTS: a host-wide, sticky promise about a host name t3site does not own
    "security.W008",  # redirecting to HTTPS would cut off every plain-http device
    "security.W016",  # the CSRF cookie is Secure on HTTPS requests (pairing.middleware), not on http ones
]
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

ROOT_URLCONF = "t3site.urls"
ASGI_APPLICATION = "t3site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% load importmap %}: the web client's import map (templates/base.html).
            "libraries": {"importmap": "t3site.importmap"},
        },
    },
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if CONFIG.redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CONFIG.redis_url]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "t3site",
        }
    }
else:
    # Channels' in-memory layer, lighter per idle socket (t3site/layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "t3site.layers.LeanInMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Where pairing.ratelimit counts failed attempts: somewhere a restart of this process cannot wipe
# (a local-memory cache would hand a guesser a fresh budget at every restart). Redis when it is
# the cache, else the database.
T3SITE_FAILURE_COUNTS = "cache" if CONFIG.redis_url else "database"

T3SITE_HOSTED_ORIGINS = CONFIG.hosted_origins
T3SITE_HTTPS_ENDPOINTS = CONFIG.https_endpoints
T3SITE_SESSION_IDLE_TTL_SECONDS = CONFIG.session_idle_ttl_seconds
T3SITE_SESSION_MAX_TTL_SECONDS = CONFIG.session_max_ttl_seconds
T3SITE_TRUSTED_PROXIES = CONFIG.trusted_proxies
# The largest WebSocket message, either way. Above every documented size once JSON-escaped (a 2 MiB
# files.write of control characters is 12 MiB as \u escapes); daphne's own default, 1 MiB, broke
# them. A larger incoming frame is refused with close code 1009; a larger answer becomes -32010.
T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES = 16 * 1024 * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None
# Serve straight from the finders: no collectstatic step stands between a fresh clone and `make serve`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
# No page's address ever leaves in a Referer: /pair and /environments name backends in theirs.
SECURE_REFERRER_POLICY = "no-referrer"
X_FRAME_OPTIONS = "DENY"
# Set by pairing.middleware.TrustedProxyMiddleware from X-Forwarded-Proto, for trusted proxies only.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_T3SITE_PROXIED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "t3site": {"level": "INFO"},
        # daphne's access log would print every request path; paths never carry a token
        # (tokens travel in bodies, headers and URL fragments) but keep it quiet by default.
        "daphne": {"level": "WARNING"},
    },
}
