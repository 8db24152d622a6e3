from django.core.cache import cache


def test_a_breaking_news_banner():
    cache.set("banner", "breaking: proof passes")
    assert cache.get("banner").startswith("breaking")


def test_b_no_banner_by_default():
    assert cache.get("banner") is None
