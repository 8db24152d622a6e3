# A library's suite run by Django's own runner (no pytest configuration), on the shared Redis, whose test
# cases all derive from tests.base.LibraryTestCase: XT003's fix isolates the cache on that base class.
# The Redis port comes from the proof runner.
import os

SECRET_KEY = "proof-not-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "library.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:%s/3" % os.environ.get("PROOF_REDIS_PORT", "6379"),
    }
}
