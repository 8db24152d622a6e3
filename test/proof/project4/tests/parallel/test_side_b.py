"""The second half of the parallel hazard: see test_side_a.py."""
from django.core.cache import cache

from proofsync import meet
from tests.base import LibraryTestCase


class OtherReservationTests(LibraryTestCase):
    def test_other_reservation(self):
        meet("xt003-base")
        cache.set("reservation:book-1", "right")
        meet("xt003-base-done")
