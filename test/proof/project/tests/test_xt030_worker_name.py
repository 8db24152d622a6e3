def test_worker_label(slave_id):
    # "master" without xdist, "gw0", "gw1"... with it
    assert slave_id == "master" or slave_id.startswith("gw")
