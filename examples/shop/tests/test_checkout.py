import os
from unittest.mock import patch

from django.conf import settings
from django.test import TestCase
from django.utils import timezone, translation

from shop.models import Order


class CheckoutTests(TestCase):
    def setUp(self):
        self.gateway = patch("shop.payments.Gateway")  # started below and never stopped
        self.gateway.start()

    def test_sandbox_payments(self):
        os.environ["PAYMENTS_SANDBOX"] = "1"  # still set for every later test in this worker
        settings.CURRENCY = "EUR"  # so is this
        self.assertTrue(True)

    def test_german_receipt(self):
        translation.activate("de")  # and the active language
        self.assertTrue(True)

    def test_orders_listed(self):
        first = Order.objects.create(total=10)
        second = Order.objects.create(total=20)
        self.assertEqual(list(Order.objects.filter(total__gt=5)), [first, second])  # no order_by

    def test_expiry(self):
        now = timezone.now()
        self.assertGreater(now.replace(second=now.second + 1), now)  # fails at second 59
