import os

from django.test import SimpleTestCase


class EnvironmentTests(SimpleTestCase):
    def test_a_sandbox_mode(self):
        os.environ["PROOF_SANDBOX"] = "1"
        self.assertEqual(os.environ["PROOF_SANDBOX"], "1")

    def test_b_not_in_sandbox_by_default(self):
        self.assertNotIn("PROOF_SANDBOX", os.environ)
