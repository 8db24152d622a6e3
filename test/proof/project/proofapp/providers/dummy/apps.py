from django.apps import AppConfig


class DummyProviderConfig(AppConfig):
    name = "proofapp.providers.dummy"
    label = "dummy_provider"
