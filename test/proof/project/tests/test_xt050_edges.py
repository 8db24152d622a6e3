"""An environment variable set after the test has checked it was unset: the fix must keep that order."""
import os

from django.test import SimpleTestCase


class TracingSwitchTests(SimpleTestCase):
    def test_a_tracing_switch(self):
        self.assertIsNone(os.environ.get("PROOF_TRACE"))  # unset by default...
        os.environ["PROOF_TRACE"] = "1"  # ...and on once set
        self.assertEqual(os.environ["PROOF_TRACE"], "1")

    def test_b_tracing_off_by_default(self):
        self.assertIsNone(os.environ.get("PROOF_TRACE"))
