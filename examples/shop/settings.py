SECRET_KEY = "example-not-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "shop"]
CURRENCY = "USD"
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}

# One Redis for the whole machine: every xdist worker of every test run shares it.
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}}

REST_FRAMEWORK = {
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "5/min"},
}
