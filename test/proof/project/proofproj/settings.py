# The proof project's settings: one Redis shared by every process that runs tests, as on a CI
# machine where all xdist workers talk to the same server. The port comes from the proof runner.
import os

SECRET_KEY = "proof-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "proofapp",
    "proofapp.providers.dummy",
    # the suite's own models (tests/test_xt100_order.py): an app without migrations, so the test
    # runners create its tables and makemigrations leaves it alone
    "tests",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "proofproj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "proof.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
STATIC_URL = "/static/"
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

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
    "PAGE_SIZE": 50,
}

# Feature switches the tests turn on and off (each hazard has its own, so that one leak cannot
# hide or cause another)
PROOF_FEATURE = False
PROOF_BETA = False
PROOF_MAINTENANCE = False
PROOF_READ_ONLY = False
PROOF_NEWSLETTER = False
PROOF_CURRENCY = "USD"
PROOF_VAT = 0
PROOF_AUDIT = False
PROOF_PARTNERS = ["acme"]
PROOF_LIMITS = {"uploads": 10}
PROOF_EMAIL = {"sender": "noreply@proof.example"}
