import time

from django.core.cache import cache
from django.test import SimpleTestCase


class WriterTests(SimpleTestCase):
    def test_progress_survives(self):
        cache.set("import-progress", 40)
        time.sleep(2.0)  # meanwhile another worker "cleans up" the cache
        self.assertEqual(cache.get("import-progress"), 40)
