"""Settings changes whose fix must keep what the test did: the order of a read and a write, and a list
extended in place."""
from django.conf import settings
from django.test import SimpleTestCase


class AuditSwitchTests(SimpleTestCase):
    def test_a_audit_switch(self):
        self.assertFalse(settings.PROOF_AUDIT)  # off by default...
        settings.PROOF_AUDIT = True  # ...and on once switched
        self.assertTrue(settings.PROOF_AUDIT)

    def test_b_audit_off_by_default(self):
        self.assertFalse(settings.PROOF_AUDIT)


def test_a_partner_added():
    settings.PROOF_PARTNERS += ["globex"]
    assert settings.PROOF_PARTNERS == ["acme", "globex"]


def test_b_default_partners():
    assert settings.PROOF_PARTNERS == ["acme"]
