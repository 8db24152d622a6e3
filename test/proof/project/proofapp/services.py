import logging

logger = logging.getLogger(__name__)


def clock():
    return "real"


def warn_slow(seconds):
    logger.warning("slow request: %.1f s", seconds)


class Exporter:
    batch_size = 100

    def batches(self, rows):
        return [rows[i : i + self.batch_size] for i in range(0, len(rows), self.batch_size)]
