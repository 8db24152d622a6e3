from django.test import TestCase, override_settings


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
class IsolatedTestCase(TestCase):
    """Every test of a subclass gets its own cache."""


class PlainTestCase(TestCase):
    pass
