"""The first half of each parallel hazard; test_side_b.py holds the other halves, in the same order
(see test/proof/project/tests/parallel/test_side_a.py)."""
import pytest
from django.core.cache import cache
from django.test import SimpleTestCase

from proofsync import meet
from shop.models import Order


@pytest.mark.django_db(transaction=True)
def test_first_order_is_alone():
    Order.objects.create(number="A-1")
    meet("xt031-database")
    meet("xt031-database-done")
    assert list(Order.objects.values_list("number", flat=True)) == ["A-1"]


class CartTests(SimpleTestCase):  # noqa: XT001 (the test settings give the suite its own key prefix)
    def test_cart_survives(self):
        cache.set("cart:1", ["mug"])
        meet("xt031-settings")
        meet("xt031-settings-done")
        self.assertEqual(cache.get("cart:1"), ["mug"])


def test_latest_report_is_ours(report_cache):  # noqa: XT001 (report_cache gives the reports their own prefix)
    cache.set("report:latest", "left")
    meet("xt031-conftest")
    meet("xt031-conftest-done")
    assert cache.get("report:latest") == "left"
