from django.apps import AppConfig


class ProofappConfig(AppConfig):
    name = "proofapp"

    def ready(self):
        from . import signals  # noqa: F401  (connects the search index receiver)
