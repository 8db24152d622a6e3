import pytest
from django.db import models


@pytest.mark.parametrize("app_label", ["shop", "analytics"])
def test_router_sends_analytics_models_to_their_database(app_label):
    class Event(models.Model):  # registered in the global app registry for the rest of the run
        name = models.CharField(max_length=20)

        class Meta:
            app_label = app_label

    assert Event._meta.app_label == app_label
