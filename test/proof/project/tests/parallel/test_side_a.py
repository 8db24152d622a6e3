"""The first half of each parallel hazard; test_side_b.py holds the other halves, in the same order.

`pytest -n 2 --dist loadfile` runs this file on one worker and test_side_b.py on the other; meet()
(proofsync.py) makes each hazard's two halves overlap. (pytest-django runs database tests first,
then transactional ones, then the rest: both files keep each hazard's halves in the same group.)
"""
import os
import threading
import time
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import LiveServerTestCase, SimpleTestCase, TestCase
from rest_framework.test import APIClient

from proofapp import reports
from proofsync import fetch, meet


class AliceThrottleTests(TestCase):
    def test_sixth_request_is_throttled(self):
        # pk=1 in every xdist worker's fresh test database: DRF keys the history as throttle_user_1
        user = User.objects.create_user("alice")
        client = APIClient()
        client.force_authenticate(user)
        meet("xt001-throttle")
        codes = [client.get("/api/ping/").status_code for _ in range(2)]
        meet("xt001-throttle-half")
        codes += [client.get("/api/ping/").status_code for _ in range(4)]
        self.assertEqual(codes, [200] * 5 + [429])


class ImportProgressTests(TestCase):
    def test_progress_survives(self):
        cache.set("import-progress", 40)
        meet("xt002-case")
        meet("xt002-case-done")  # meanwhile the other worker "cleans up" the cache
        self.assertEqual(cache.get("import-progress"), 40)


class DraftReportTests(TestCase):
    def test_draft_survives_another_users_cleanup(self):
        user = User.objects.create_user("carol")  # pk=1 here, and pk=1 on the other worker
        reports.save_draft(user.pk, "q3", "draft text")
        meet("redis-api")
        meet("redis-api-done")  # meanwhile the other worker discards its own user's drafts
        self.assertEqual(cache.get(reports.draft_key(user.pk, "q3")), "draft text")


class HealthPageTests(LiveServerTestCase):
    port = 48761

    def test_health_page(self):
        meet("xt090-live")
        time.sleep(1.0)  # the server stays up while the other worker starts its own
        self.assertEqual(fetch(self.live_server_url + "/health/"), b"ok")


def test_visit_counter_starts_at_one():
    cache.set("visits:home", 0)
    meet("xt001-function")
    cache.incr("visits:home")
    meet("xt001-function-done")
    assert cache.get("visits:home") == 1


def test_queue_position_survives():
    cache.set("queue-position", 7)
    meet("xt002-function")
    meet("xt002-function-done")
    assert cache.get("queue-position") == 7


def test_report_is_written_then_read():
    os.makedirs("/tmp/crosstalk_proof_reports", exist_ok=True)
    with open("/tmp/crosstalk_proof_reports/report.txt", "w") as fh:
        fh.write("writer")
    meet("xt020-tmp-path")
    meet("xt020-tmp-path-done")  # meanwhile the other worker writes the same path
    with open("/tmp/crosstalk_proof_reports/report.txt") as fh:
        assert fh.read() == "writer"


class ExportFileTests(SimpleTestCase):
    def test_export_round_trip(self):
        path = os.path.join("/tmp", "crosstalk_proof_export.csv")
        with open(path, "w") as fh:
            fh.write("id,name\n1,left\n")
        meet("xt020-gettempdir")
        meet("xt020-gettempdir-done")
        with open(path) as fh:
            self.assertEqual(fh.read(), "id,name\n1,left\n")


def test_summary_is_written_then_read():
    with open("crosstalk_proof_summary.json", "w") as fh:
        fh.write('{"side": "left"}')
    meet("xt021-function")
    meet("xt021-function-done")
    with open("crosstalk_proof_summary.json") as fh:
        assert fh.read() == '{"side": "left"}'


@pytest.fixture
def greeting_file():
    Path("crosstalk_proof_greeting.txt").write_text("hello from the left")
    return Path("crosstalk_proof_greeting.txt").resolve()


def test_greeting_file_is_ours(greeting_file):
    meet("xt021-fixture")
    meet("xt021-fixture-done")
    assert greeting_file.read_text() == "hello from the left"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_wsgi_stub_answers():
    server = make_server("127.0.0.1", port=48762, app=hello_app, handler_class=QuietHandler)
    try:
        meet("xt090-keyword")
        time.sleep(1.0)  # the stub stays up while the other worker starts its own
        threading.Thread(target=server.handle_request).start()
        assert fetch("http://127.0.0.1:%d/" % server.server_port) == b"hello"
    finally:
        server.server_close()


def test_worker_scratch_is_private(worker_scratch):
    (worker_scratch / "state.json").write_text("left")
    meet("xt030-scratch")
    meet("xt030-scratch-done")
    assert (worker_scratch / "state.json").read_text() == "left"
