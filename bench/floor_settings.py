"""Django settings of the daphne + Channels floor (bench/floor_app.py): the fixed stack and nothing else.

Only the "daphne" and "channels" apps: no middleware, no database, no channel layer, no
templates, no logging configuration of Django's own. What the floor costs is what any Django +
Channels server run by daphne costs before its own code.
"""

SECRET_KEY = "bench-floor-not-a-secret"  # noqa: S105 (loopback only, nothing is signed)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["daphne", "channels"]
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
CHANNEL_LAYERS: dict = {}
ROOT_URLCONF = None
ASGI_APPLICATION = "bench.floor_app.application"
USE_TZ = True
USE_I18N = False
