from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import TestCase
from rest_framework.test import APIClient


class CartApiTests(TestCase):
    def setUp(self):
        cache.clear()  # "isolates" the tests, but only within one process
        self.user = User.objects.create_user("alice")  # pk=1 in every worker's test database
        self.client = APIClient()
        self.client.force_authenticate(self.user)

    def test_sixth_request_is_throttled(self):
        codes = [self.client.get("/api/cart/").status_code for _ in range(6)]
        self.assertEqual(codes, [200] * 5 + [429])

    def test_cart_is_cached_per_user(self):
        self.client.get("/api/cart/")
        self.assertIsNotNone(cache.get(f"cart:{self.user.pk}"))
