import time

from django.contrib.auth.models import User
from django.test import TestCase
from rest_framework.test import APIClient


class AliceThrottleTests(TestCase):
    def test_sixth_request_is_throttled(self):
        # pk=1 in every xdist worker's fresh test database: DRF keys the history as throttle_user_1
        user = User.objects.create_user("alice")
        client = APIClient()
        client.force_authenticate(user)
        codes = []
        for _ in range(6):
            codes.append(client.get("/api/ping/").status_code)
            time.sleep(0.3)
        self.assertEqual(codes, [200] * 5 + [429])
