"""Report drafts kept in Redis through django-redis: its pattern delete, its locks and the raw client."""
from django.core.cache import cache
from django_redis import get_redis_connection


def draft_key(user_id, name):
    return f"report:{user_id}:{name}"


def save_draft(user_id, name, text):
    cache.set(draft_key(user_id, name), text, timeout=300)
    get_redis_connection("default").incr("proof:drafts-saved")


def discard_drafts(user_id):
    """Drops every draft of the user, under a lock so that a concurrent save does not slip in."""
    with cache.lock(f"report-lock:{user_id}", timeout=5):
        return cache.delete_pattern(draft_key(user_id, "*"))
