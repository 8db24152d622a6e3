import os

from .base import *  # noqa: F401,F403

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:%s/1" % os.environ.get("PROOF_REDIS_PORT", "6379"),
        "KEY_PREFIX": "shop_test",
    }
}
