INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "analytics"]
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}}
