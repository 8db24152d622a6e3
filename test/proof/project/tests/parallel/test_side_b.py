"""The second half of each parallel hazard: see test_side_a.py."""
import os
import socket
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase
from rest_framework.test import APIClient

from proofapp import reports
from proofsync import meet


class BobThrottleTests(TestCase):
    def test_sixth_request_is_throttled(self):
        # pk=1 in every xdist worker's fresh test database: DRF keys the history as throttle_user_1
        user = User.objects.create_user("bob")
        client = APIClient()
        client.force_authenticate(user)
        meet("xt001-throttle")
        codes = [client.get("/api/ping/").status_code for _ in range(2)]
        meet("xt001-throttle-half")
        codes += [client.get("/api/ping/").status_code for _ in range(4)]
        self.assertEqual(codes, [200] * 5 + [429])


class CacheCleanupTests(TestCase):
    def test_starts_from_an_empty_cache(self):
        meet("xt002-case")
        cache.clear()
        meet("xt002-case-done")
        self.assertIsNone(cache.get("anything"))


class DraftCleanupTests(TestCase):
    def test_discard_removes_every_draft_of_the_user(self):
        user = User.objects.create_user("dave")  # pk=1 here, and pk=1 on the other worker
        reports.save_draft(user.pk, "q4", "old text")
        meet("redis-api")
        reports.discard_drafts(user.pk)
        meet("redis-api-done")
        self.assertIsNone(cache.get(reports.draft_key(user.pk, "q4")))


@pytest.mark.django_db(transaction=True)
def test_webhook_listener_binds():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        meet("xt090-live")  # the other worker's live server is up
        listener.bind(("127.0.0.1", 48761))
        listener.listen(1)
        assert listener.getsockname()[1] > 0
    finally:
        listener.close()


def test_visit_counter_starts_at_one():
    cache.set("visits:home", 0)
    meet("xt001-function")
    cache.incr("visits:home")
    meet("xt001-function-done")
    assert cache.get("visits:home") == 1


def test_queue_starts_empty():
    meet("xt002-function")
    cache.clear()
    meet("xt002-function-done")
    assert cache.get("queue-position") is None


def test_other_report():
    os.makedirs("/tmp/crosstalk_proof_reports", exist_ok=True)
    meet("xt020-tmp-path")
    with open("/tmp/crosstalk_proof_reports/report.txt", "w") as fh:
        fh.write("other")
    meet("xt020-tmp-path-done")


class ExportOtherFileTests(SimpleTestCase):
    def test_export_other_round_trip(self):
        path = os.path.join("/tmp", "crosstalk_proof_export.csv")
        meet("xt020-gettempdir")
        with open(path, "w") as fh:
            fh.write("id,name\n2,right\n")
        meet("xt020-gettempdir-done")
        with open(path) as fh:
            self.assertEqual(fh.read(), "id,name\n2,right\n")


def test_other_summary():
    meet("xt021-function")
    with open("crosstalk_proof_summary.json", "w") as fh:
        fh.write('{"side": "right"}')
    meet("xt021-function-done")


def test_greeting_file_is_rewritten():
    meet("xt021-fixture")
    Path("crosstalk_proof_greeting.txt").write_text("hello from the right")
    meet("xt021-fixture-done")


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_wsgi_stub_starts():
    meet("xt090-keyword")  # the other worker's stub is up
    server = make_server("127.0.0.1", port=48762, app=hello_app, handler_class=QuietHandler)
    server.server_close()


def test_worker_scratch_is_private(worker_scratch):
    meet("xt030-scratch")
    (worker_scratch / "state.json").write_text("right")
    meet("xt030-scratch-done")
    assert (worker_scratch / "state.json").read_text() == "right"
