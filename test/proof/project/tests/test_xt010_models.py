from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models
from django.test import TestCase


class ModelHelpersTests(TestCase):
    def test_verbose_name_of_a_throwaway_model(self):
        class Gadget(models.Model):
            name = models.CharField(max_length=20)

            class Meta:
                app_label = "proofapp"

        self.assertEqual(Gadget._meta.verbose_name, "gadget")

    def test_provider_account_model(self):
        # the app's label is dummy_provider; isolate_apps() wants its name, proofapp.providers.dummy
        class ProviderAccount(models.Model):
            uid = models.CharField(max_length=20)

            class Meta:
                app_label = "dummy_provider"

        self.assertEqual(ProviderAccount._meta.app_label, "dummy_provider")


@pytest.mark.parametrize("label", ["proofapp", "tests"])
def test_note_model_in_each_app(label):
    class Note(models.Model):
        text = models.CharField(max_length=20)

        class Meta:
            app_label = label

    assert Note._meta.label == label + ".Note"


class MigrationsUpToDateTests(TestCase):
    def test_no_missing_migrations(self):
        out = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
        except SystemExit as exit_:
            self.fail(f"makemigrations --check exited {exit_.code}:\n{out.getvalue()}")


class FixtureDumpTests(TestCase):
    def test_dump_the_provider_app(self):
        call_command("dumpdata", "dummy_provider", stdout=StringIO())

    def test_dump_the_suites_own_models(self):
        call_command("dumpdata", "tests", stdout=StringIO())
