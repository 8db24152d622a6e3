"""The second half of the parallel hazard: see test_side_a.py."""
from django.core.cache import cache

from proofsync import meet


def test_other_headline():
    meet("xt003-conftest")
    cache.set("headline", "right")
    meet("xt003-conftest-done")
