"""Two throttle tests of one class: anonymous requests, so DRF keys the history by IP (127.0.0.1)."""
from rest_framework.test import APITestCase


class PingThrottleTests(APITestCase):
    def test_a_five_requests_allowed(self):
        codes = [self.client.get("/api/ping/").status_code for _ in range(5)]
        self.assertEqual(codes, [200] * 5)

    def test_b_sixth_request_throttled(self):
        codes = [self.client.get("/api/ping/").status_code for _ in range(6)]
        self.assertEqual(codes, [200] * 5 + [429])
