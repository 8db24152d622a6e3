from django.core.cache import cache

from tests.base import LibraryTestCase


class LoanCounterTests(LibraryTestCase):
    def test_a_first_loan(self):
        self.assertEqual(cache.get_or_set("loans:today", 0), 0)
        cache.incr("loans:today")
        self.assertEqual(cache.get("loans:today"), 1)

    def test_b_no_loans_yet(self):
        self.assertIsNone(cache.get("loans:today"))
