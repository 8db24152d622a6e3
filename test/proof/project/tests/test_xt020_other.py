import os
import time


def test_other_report():
    time.sleep(0.5)
    os.makedirs("/tmp/crosstalk_proof_reports", exist_ok=True)
    with open("/tmp/crosstalk_proof_reports/report.txt", "w") as fh:
        fh.write("other")
