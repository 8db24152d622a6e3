import os
import subprocess


def test_export_writes_one_file_per_order(export_orders):
    subprocess.run("rm -rf /tmp/shop_export_*", shell=True, check=True)
    export_orders(target="/tmp/shop_export_1")
    assert len(os.listdir("/tmp/shop_export_1")) == 3
