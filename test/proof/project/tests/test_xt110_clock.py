import datetime
from unittest import mock

from django.test import SimpleTestCase
from django.utils import timezone

# 23:59:59 on the last day of a month: the moment a one-field bump overflows
LAST_SECOND_OF_JANUARY = datetime.datetime(2024, 1, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)


class SessionExpiryTests(SimpleTestCase):
    @mock.patch("django.utils.timezone.now", return_value=LAST_SECOND_OF_JANUARY)
    def test_expiry_one_second_later(self, _now):
        now = timezone.now()
        expires = now.replace(second=now.second + 1)
        self.assertEqual((expires - now).total_seconds(), 1)

    @mock.patch("django.utils.timezone.now", return_value=LAST_SECOND_OF_JANUARY)
    def test_reminder_one_day_later(self, _now):
        now = timezone.now()
        reminder = now.replace(day=now.day + 1)
        self.assertEqual(reminder.date(), datetime.date(2024, 2, 1))
