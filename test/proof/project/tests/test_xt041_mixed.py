from django.conf import settings as django_settings
from django.test import override_settings


@override_settings(PROOF_CURRENCY="EUR")
def test_a_prices_in_euros_with_vat(settings):
    settings.PROOF_VAT = 20
    assert (django_settings.PROOF_CURRENCY, django_settings.PROOF_VAT) == ("EUR", 20)


def test_b_default_currency():
    assert django_settings.PROOF_CURRENCY == "USD"
