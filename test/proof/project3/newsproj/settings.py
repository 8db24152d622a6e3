# A pytest-only newsroom suite on the shared Redis, with nothing that gives each test its own cache:
# XT003's fix adds the autouse fixture to the root conftest.py. The Redis port comes from the proof runner.
import os

SECRET_KEY = "proof-not-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "news.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:%s/2" % os.environ.get("PROOF_REDIS_PORT", "6379"),
    }
}
