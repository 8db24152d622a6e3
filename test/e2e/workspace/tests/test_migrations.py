from django.core.management import call_command
from django.test import TestCase


class MigrationsTests(TestCase):
    def test_no_missing_migrations(self):
        # reads the app registry: a model a test leaves there shows up as a missing migration
        call_command("makemigrations", "--check", "--dry-run")
