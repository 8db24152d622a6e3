# The proof project's settings: one Redis shared by every process that runs tests, as on a CI
# machine where all xdist workers talk to the same server. The port comes from the proof runner.
import os

SECRET_KEY = "proof-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "proofapp",
    "proofapp.providers.dummy",
]
MIDDLEWARE = []
ROOT_URLCONF = "proofproj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "proof.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:%s/0" % os.environ.get("PROOF_REDIS_PORT", "6379"),
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "5/min"},
}

PROOF_FEATURE = False
