import pytest


@pytest.fixture
def worker(slave_id):
    return slave_id


def pytest_configure(config):
    if hasattr(config, "slaveinput"):
        return config.slaveinput["slaveid"]
