from unittest.mock import patch

from django.test import SimpleTestCase

from proofapp import services


class ClockTests(SimpleTestCase):
    def test_a_with_a_fake_clock(self):
        clock = patch("proofapp.services.clock", return_value="fake")
        clock.start()
        self.assertEqual(services.clock(), "fake")

    def test_b_real_clock(self):
        self.assertEqual(services.clock(), "real")
