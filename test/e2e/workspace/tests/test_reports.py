from django.core.cache import cache


def test_report_is_cached():
    cache.set("report", 1)
