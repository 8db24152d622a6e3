import os
import time


def test_report_is_written_then_read():
    os.makedirs("/tmp/crosstalk_proof_reports", exist_ok=True)
    with open("/tmp/crosstalk_proof_reports/report.txt", "w") as fh:
        fh.write("writer")
    time.sleep(1.5)  # meanwhile another worker writes the same path
    with open("/tmp/crosstalk_proof_reports/report.txt") as fh:
        assert fh.read() == "writer"
