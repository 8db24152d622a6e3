import pytest


@pytest.fixture(scope="session")
def worker_scratch(tmp_path_factory, request):
    """A scratch directory per xdist worker, beside the workers' own base temporary directories."""
    config = request.config
    if hasattr(config, "slaveinput"):
        name = config.slaveinput["slaveid"]
    else:
        name = "main"
    path = tmp_path_factory.getbasetemp().parent / ("scratch-" + name)
    path.mkdir(exist_ok=True)
    return path
