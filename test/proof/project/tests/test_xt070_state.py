"""Process-wide state changed by one test and seen by the next: each class's test_a changes it, its test_b
expects the default."""
import importlib
import locale
import logging
import os
import socket
import sys

from django.contrib import admin
from django.db.models.signals import post_save
from django.test import SimpleTestCase, TestCase
from django.utils import timezone, translation

from proofapp import payments, services
from proofapp.models import Widget
from proofapp.signals import INDEX, index_widget

PLUGINS = os.path.join(os.path.dirname(__file__), "plugins")
APP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "proofapp")


class LanguageTests(SimpleTestCase):
    def test_a_german_greeting(self):
        translation.activate("de")
        self.assertEqual(translation.get_language(), "de")

    def test_b_default_language(self):
        self.assertEqual(translation.get_language(), "en-us")


class BrowserLanguageTests(SimpleTestCase):
    def test_a_spanish_browser(self):
        response = self.client.get("/health/", HTTP_ACCEPT_LANGUAGE="es")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(translation.get_language(), "es")

    def test_b_default_language_after_requests(self):
        self.assertEqual(translation.get_language(), "en-us")


class TimeZoneTests(SimpleTestCase):
    def test_a_berlin_time(self):
        timezone.activate("Europe/Berlin")
        self.assertEqual(timezone.get_current_timezone_name(), "Europe/Berlin")

    def test_b_default_time_zone(self):
        self.assertEqual(timezone.get_current_timezone_name(), "UTC")


AUDITED = []


def audit_widget(sender, instance, **kwargs):
    AUDITED.append(instance.name)


class SignalTests(TestCase):
    def test_a_audit_on_save(self):
        post_save.connect(audit_widget, sender=Widget)
        Widget.objects.create(name="audited")
        self.assertEqual(AUDITED, ["audited"])

    def test_b_no_audit_by_default(self):
        AUDITED.clear()
        Widget.objects.create(name="plain")
        self.assertEqual(AUDITED, [])


class IndexOffTests(TestCase):
    def test_a_save_without_indexing(self):
        post_save.disconnect(index_widget, sender=Widget)
        INDEX.clear()
        Widget.objects.create(name="unindexed")
        self.assertEqual(INDEX, [])

    def test_b_saves_are_indexed(self):
        INDEX.clear()
        Widget.objects.create(name="indexed")
        self.assertEqual(INDEX, ["indexed"])


class AdminTests(SimpleTestCase):
    def test_a_widget_admin(self):
        admin.site.register(Widget)
        self.assertTrue(admin.site.is_registered(Widget))

    def test_b_widget_not_in_admin(self):
        self.assertFalse(admin.site.is_registered(Widget))


class LoggingTests(SimpleTestCase):
    def test_a_quiet_import(self):
        logging.disable(logging.CRITICAL)
        services.warn_slow(3.0)

    def test_b_slow_requests_are_logged(self):
        with self.assertLogs("proofapp.services", level="WARNING"):
            services.warn_slow(3.0)


class PluginPathTests(SimpleTestCase):
    def test_a_plugin_importable(self):
        sys.path.insert(0, PLUGINS)
        self.assertEqual(importlib.import_module("proof_greeter").greet(), "hello")

    def test_b_no_plugin_path(self):
        self.assertNotIn(PLUGINS, sys.path)


class VendorPathTests(SimpleTestCase):
    def test_a_vendor_path_first(self):
        sys.path.insert(0, "/opt/crosstalk-proof-vendor")
        self.assertEqual(sys.path[0], "/opt/crosstalk-proof-vendor")  # a read, not a restore

    def test_b_no_vendor_path(self):
        self.assertNotIn("/opt/crosstalk-proof-vendor", sys.path)


class WorkingDirectoryTests(SimpleTestCase):
    def test_a_inside_the_app(self):
        os.chdir(APP_DIR)
        self.assertTrue(os.path.exists("models.py"))

    def test_b_manage_py_in_the_working_directory(self):
        self.assertTrue(os.path.exists("manage.py"))


class SocketTimeoutTests(SimpleTestCase):
    def test_a_impatient_client(self):
        socket.setdefaulttimeout(1)
        self.assertEqual(socket.getdefaulttimeout(), 1)

    def test_b_no_default_timeout(self):
        self.assertIsNone(socket.getdefaulttimeout())


class LocaleTests(SimpleTestCase):
    def test_a_utf8_locale(self):
        locale.setlocale(locale.LC_ALL, "C.UTF-8")
        self.assertEqual(locale.getlocale(locale.LC_NUMERIC)[1], "UTF-8")

    def test_b_numbers_in_the_c_locale(self):
        self.assertEqual(locale.getlocale(locale.LC_NUMERIC), (None, None))


class CollationTests(SimpleTestCase):
    def test_a_utf8_collation(self):
        locale.setlocale(locale.LC_COLLATE, "C.UTF-8")
        self.assertEqual(locale.setlocale(locale.LC_COLLATE), "C.UTF-8")  # a query, not a restore

    def test_b_collation_in_the_c_locale(self):
        self.assertEqual(locale.setlocale(locale.LC_COLLATE), "C")


class GatewayTests(SimpleTestCase):
    def test_a_sandbox_gateway(self):
        payments.GATEWAY_URL = "https://pay.example/sandbox"
        self.assertEqual(payments.checkout_url(7), "https://pay.example/sandbox/checkout/7")

    def test_b_live_gateway(self):
        self.assertEqual(payments.checkout_url(7), "https://pay.example/live/checkout/7")


class SmallBatchTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        services.Exporter.batch_size = 2

    def test_batches_of_two(self):
        self.assertEqual(services.Exporter().batches([1, 2, 3]), [[1, 2], [3]])


class DefaultBatchTests(SimpleTestCase):
    def test_one_batch(self):
        self.assertEqual(services.Exporter().batches([1, 2, 3]), [[1, 2, 3]])
