import os

import pytest
from django.test import SimpleTestCase

from proofapp import payments


class EnvironmentTests(SimpleTestCase):
    def test_a_sandbox_mode(self):
        os.environ["PROOF_SANDBOX"] = "1"
        self.assertEqual(os.environ["PROOF_SANDBOX"], "1")

    def test_b_not_in_sandbox_by_default(self):
        self.assertIsNone(os.environ.get("PROOF_SANDBOX"))


def test_a_region_override():
    os.environ["PROOF_REGION"] = "eu-west-1"
    assert os.environ["PROOF_REGION"] == "eu-west-1"


def test_b_default_region():
    assert os.environ.get("PROOF_REGION", "us-east-1") == "us-east-1"


def test_a_anonymous_without_token():
    os.environ.pop("PROOF_API_TOKEN", None)  # the runner's environment sets it
    assert os.environ.get("PROOF_API_TOKEN") is None


def test_b_token_from_the_environment():
    assert os.environ.get("PROOF_API_TOKEN") == "proof-token"


@pytest.fixture
def payments_sandbox():
    os.environ["PROOF_PAYMENTS_SANDBOX"] = "1"
    return payments


def test_a_checkout_in_sandbox(payments_sandbox):
    assert payments_sandbox.mode() == "sandbox"


def test_b_checkout_live_by_default():
    assert payments.mode() == "live"
