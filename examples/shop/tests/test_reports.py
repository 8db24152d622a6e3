import os
import subprocess


def test_export_writes_one_file_per_order(export_orders):
    subprocess.run("rm -rf /tmp/shop_export_*", shell=True, check=True)
    export_orders(target="/tmp/shop_export_1")
    assert len(os.listdir("/tmp/shop_export_1")) == 3


def test_export_skips_cancelled_orders(export_orders):
    # the same directory as the test above: on two xdist workers, each lists the other's files
    export_orders(target="/tmp/shop_export_1", include_cancelled=False)
    assert len(os.listdir("/tmp/shop_export_1")) == 2
