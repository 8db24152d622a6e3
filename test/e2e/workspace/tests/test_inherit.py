from django.core.cache import cache

from .base import PlainTestCase


class ProfileTests(PlainTestCase):
    def test_cached(self):
        cache.set("profile", 1)
