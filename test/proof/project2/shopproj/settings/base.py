# A shop whose test settings give the suite its own Redis key prefix and whose conftest names the test
# database: both shared by every xdist worker until they include the worker. The Redis port comes from
# the proof runner.
import os

SECRET_KEY = "proof-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
MIDDLEWARE = []
ROOT_URLCONF = "shopproj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:%s/1" % os.environ.get("PROOF_REDIS_PORT", "6379"),
    }
}
