"""meet(): the two halves of a parallel hazard wait for each other, so that they overlap.

The proof runs a hazard's two halves in two files, which `pytest -n 2 --dist loadfile` gives to two
workers. Each half calls meet(name) at the moments that must coincide; the call returns once both
workers have reached it. The counters live in Redis database 15 of the proof's server (the caches
use databases 0 to 3). Without PROOF_MEET_PORT (manage.py test, a plain pytest run) it returns at once.
A meeting that times out is listed under meet:timeouts, which the runner reports.

fetch() reads a URL and resets the connection instead of closing it, so that the server's fixed port
is not left in TIME_WAIT for the next proof run (Django's live server will not bind such a port).

The proof runner copies this file into each project it runs.
"""
import http.client
import os
import socket
import struct
import sys
import time
from urllib.parse import urlsplit


def meet(name, timeout=20.0):
    port = os.environ.get("PROOF_MEET_PORT")
    if not port:
        return
    import redis

    server = redis.Redis(host="127.0.0.1", port=int(port), db=15)
    key = "meet:" + name
    server.incr(key)
    deadline = time.monotonic() + timeout
    while int(server.get(key) or 0) < 2:
        if time.monotonic() > deadline:
            sys.stderr.write("meet(%r): the other worker never came\n" % name)
            server.rpush("meet:timeouts", name)
            return
        time.sleep(0.01)


def fetch(url):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.connect()
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        connection.request("GET", parts.path or "/")
        return connection.getresponse().read()
    finally:
        connection.close()
