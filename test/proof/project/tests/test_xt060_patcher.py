from unittest.mock import patch

import pytest
from django.test import SimpleTestCase

from proofapp import services


class ClockTests(SimpleTestCase):
    def test_a_with_a_fake_clock(self):
        clock = patch("proofapp.services.clock", return_value="fake")
        clock.start()
        self.assertEqual(services.clock(), "fake")

    def test_b_real_clock(self):
        self.assertEqual(services.clock(), "real")


@pytest.fixture
def frozen_clock():
    clock = patch("proofapp.services.clock", return_value="frozen")
    mocked = clock.start()
    return mocked


def test_a_with_a_frozen_clock(frozen_clock):
    assert services.clock() == "frozen"


def test_b_real_clock_again():
    assert services.clock() == "real"
