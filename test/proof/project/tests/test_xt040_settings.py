from django.conf import settings
from django.test import SimpleTestCase


class FeatureFlagTests(SimpleTestCase):
    def test_a_feature_on(self):
        settings.PROOF_FEATURE = True
        self.assertTrue(settings.PROOF_FEATURE)

    def test_b_feature_off_by_default(self):
        self.assertFalse(settings.PROOF_FEATURE)
