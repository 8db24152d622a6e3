import os
import sys

from proofapp import payments, services


MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "proofapp", "migrations")


def test_a_inside_the_migrations():
    os.chdir(MIGRATIONS)
    assert os.path.exists("0001_initial.py")


def test_b_settings_beside_manage_py():
    assert os.path.exists("proofproj/settings.py")


def test_a_vendored_plugins():
    sys.path.insert(0, "/opt/crosstalk-proof-vendored")
    assert sys.path[0] == "/opt/crosstalk-proof-vendored"


def test_b_no_vendor_path():
    assert "/opt/crosstalk-proof-vendored" not in sys.path


def test_a_staging_gateway():
    payments.GATEWAY_URL = "https://pay.example/staging"
    assert payments.checkout_url(1).startswith("https://pay.example/staging")


def test_b_live_gateway_again():
    assert payments.checkout_url(1) == "https://pay.example/live/checkout/1"


def test_a_tiny_batches():
    services.Exporter.batch_size = 1
    assert services.Exporter().batches([1, 2]) == [[1], [2]]


def test_b_default_batches():
    assert services.Exporter().batches([1, 2]) == [[1, 2]]
