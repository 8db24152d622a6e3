"""The second half of each parallel hazard: see test_side_a.py."""
import pytest
from django.core.cache import cache
from django.test import SimpleTestCase

from proofsync import meet
from shop.models import Order


@pytest.mark.django_db(transaction=True)
def test_first_order_is_alone():
    Order.objects.create(number="B-1")
    meet("xt031-database")
    meet("xt031-database-done")
    assert list(Order.objects.values_list("number", flat=True)) == ["B-1"]


class OtherCartTests(SimpleTestCase):  # noqa: XT001 (the test settings give the suite its own key prefix)
    def test_other_cart(self):
        meet("xt031-settings")
        cache.set("cart:1", ["lamp"])
        meet("xt031-settings-done")


def test_other_report(report_cache):  # noqa: XT001 (report_cache gives the reports their own prefix)
    meet("xt031-conftest")
    cache.set("report:latest", "right")
    meet("xt031-conftest-done")
