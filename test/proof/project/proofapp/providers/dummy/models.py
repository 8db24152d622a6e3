from django.db import models


class DummyIdentity(models.Model):
    """The identity the dummy provider hands out (no migrations: the test runners create its table)."""

    uid = models.CharField(max_length=20)
