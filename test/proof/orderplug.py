"""Runs the collected tests in a given order: ORDER=file:<path>, a file of pytest node ids, one a line.

Tests the file does not name are deselected. The proof uses /work/shared/tools/orderplug.py when that
exists (same ORDER=file: interface) and this one elsewhere. Load with `-p orderplug`.
"""
import os


def pytest_collection_modifyitems(session, config, items):
    order = os.environ.get("ORDER", "")
    if not order.startswith("file:"):
        return
    with open(order[len("file:") :]) as fh:
        wanted = [line.strip() for line in fh if line.strip()]
    position = {node_id: i for i, node_id in enumerate(wanted)}
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in position])
    items[:] = sorted((item for item in items if item.nodeid in position), key=lambda item: position[item.nodeid])
