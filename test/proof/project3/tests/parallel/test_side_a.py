"""The first half of the parallel hazard; test_side_b.py holds the other half
(see test/proof/project/tests/parallel/test_side_a.py)."""
from django.core.cache import cache

from proofsync import meet


def test_headline_is_ours():
    cache.set("headline", "left")
    meet("xt003-conftest")
    meet("xt003-conftest-done")
    assert cache.get("headline") == "left"
