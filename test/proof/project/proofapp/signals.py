"""The search index: every saved Widget is indexed by a receiver connected when the app is ready."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Widget

INDEX = []


@receiver(post_save, sender=Widget)
def index_widget(sender, instance, **kwargs):
    INDEX.append(instance.name)
