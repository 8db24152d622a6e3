"""The first half of the parallel hazard; test_side_b.py holds the other half
(see test/proof/project/tests/parallel/test_side_a.py)."""
from django.core.cache import cache

from proofsync import meet
from tests.base import LibraryTestCase


class ReservationTests(LibraryTestCase):
    def test_reservation_is_ours(self):
        cache.set("reservation:book-1", "left")
        meet("xt003-base")
        meet("xt003-base-done")
        self.assertEqual(cache.get("reservation:book-1"), "left")
