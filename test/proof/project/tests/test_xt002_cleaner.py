import time

from django.core.cache import cache
from django.test import SimpleTestCase


class CleanerTests(SimpleTestCase):
    def test_starts_from_an_empty_cache(self):
        time.sleep(0.7)
        cache.clear()
        self.assertIsNone(cache.get("anything"))
