from django.test import TestCase
from rest_framework.test import APIClient


class LoginThrottleTests(TestCase):
    def setUp(self):
        self.client = APIClient()

    def test_sixth_attempt_is_refused(self):
        for _ in range(5):
            self.client.post("/api/login/", {"username": "alice", "password": "wrong"})
        response = self.client.post("/api/login/", {"username": "alice", "password": "wrong"})
        self.assertEqual(response.status_code, 429)
