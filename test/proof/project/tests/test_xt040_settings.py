import pytest
from django.conf import settings
from django.test import SimpleTestCase


def test_a_beta_banner_on():
    settings.PROOF_BETA = True
    assert settings.PROOF_BETA


def test_b_beta_banner_off_by_default():
    assert settings.PROOF_BETA is False


@pytest.fixture
def maintenance_mode():
    settings.PROOF_MAINTENANCE = True
    return "maintenance"


def test_a_maintenance_page(maintenance_mode):
    assert settings.PROOF_MAINTENANCE


def test_b_site_open_by_default():
    assert settings.PROOF_MAINTENANCE is False


class FeatureFlagTests(SimpleTestCase):
    def test_a_feature_on(self):
        settings.PROOF_FEATURE = True
        self.assertTrue(settings.PROOF_FEATURE)

    def test_b_feature_off_by_default(self):
        self.assertFalse(settings.PROOF_FEATURE)


class ReadOnlyModeTests(SimpleTestCase):
    def setUp(self):
        settings.PROOF_READ_ONLY = True

    def test_writes_refused(self):
        self.assertTrue(settings.PROOF_READ_ONLY)


class WritableByDefaultTests(SimpleTestCase):
    def test_writes_allowed(self):
        self.assertFalse(settings.PROOF_READ_ONLY)
