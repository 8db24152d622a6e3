from django.apps import AppConfig


class ProofappConfig(AppConfig):
    name = "proofapp"
