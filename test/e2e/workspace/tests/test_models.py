from django.db import models
from django.test import TestCase


class ModelHelpersTests(TestCase):
    def test_verbose_name(self):
        class AnalyticsModel(models.Model):
            event = models.CharField(max_length=20)

            class Meta:
                app_label = "analytics"

        self.assertEqual(AnalyticsModel._meta.verbose_name, "analytics model")
