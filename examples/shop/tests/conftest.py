import pytest


def pytest_configure(config):
    # Meant to give each xdist worker its own database; since pytest-xdist 2.0 the attribute
    # is gone, the branch never runs, and every worker uses "test_shop".
    if hasattr(config, "slaveinput"):
        worker = config.slaveinput["slaveid"]
        config.option.db_suffix = worker


@pytest.fixture
def api_user(django_user_model):
    return django_user_model.objects.create_user("alice")
