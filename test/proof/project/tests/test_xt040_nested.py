"""One key of a settings dict changed in place: the settings fixture and override_settings restore the
dict they were given, not its contents; a deep copy under override_settings does."""
from django.conf import settings
from django.test import SimpleTestCase


def test_a_page_size_through_the_fixture(settings):
    settings.REST_FRAMEWORK["PAGE_SIZE"] = 5
    assert settings.REST_FRAMEWORK["PAGE_SIZE"] == 5


def test_b_default_page_size():
    assert settings.REST_FRAMEWORK["PAGE_SIZE"] == 50


def test_a_upload_limit_raised():
    settings.PROOF_LIMITS["uploads"] = 100
    assert settings.PROOF_LIMITS["uploads"] == 100


def test_b_default_upload_limit():
    assert settings.PROOF_LIMITS["uploads"] == 10


class EmailSenderTests(SimpleTestCase):
    def test_a_sender_for_tests(self):
        settings.PROOF_EMAIL["sender"] = "tests@proof.example"
        self.assertEqual(settings.PROOF_EMAIL["sender"], "tests@proof.example")

    def test_b_default_sender(self):
        self.assertEqual(settings.PROOF_EMAIL["sender"], "noreply@proof.example")
