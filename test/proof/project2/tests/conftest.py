import fcntl

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker, tmp_path_factory):
    """The suite's own database file, migrated here (one process at a time: the lock)."""
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = "shop_test.sqlite3"
    lock_path = tmp_path_factory.getbasetemp().parent / "shop_test.lock"
    with open(lock_path, "w") as lock, django_db_blocker.unblock():
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("migrate", verbosity=0)


@pytest.fixture
def report_cache(settings):
    """The reports' cache: the same Redis, under the reports' own key prefix."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "reports"}}
