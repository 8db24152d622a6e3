"""The search index receiver is muted for each test and reconnected by tearDown; one test wants it on.

Nothing leaks: tearDown puts the receiver back. addCleanup() callbacks run after tearDown, so a cleanup
that disconnects the real receiver would undo that, after the class's last test, and leave the index off
for every later test in the process. tearDownClass checks that the class leaves the index as it found it.
"""
from django.db.models.signals import post_save
from django.test import TestCase

from proofapp.models import Widget
from proofapp.signals import INDEX, index_widget


class QuietIndexTests(TestCase):
    @classmethod
    def tearDownClass(cls):
        INDEX.clear()
        Widget.objects.create(name="after the class")
        indexed = INDEX == ["after the class"]
        super().tearDownClass()
        if not indexed:
            raise AssertionError("QuietIndexTests left the search index receiver disconnected")

    def setUp(self):
        post_save.disconnect(index_widget, sender=Widget)

    def tearDown(self):
        post_save.connect(index_widget, sender=Widget)

    def test_a_save_without_indexing(self):
        INDEX.clear()
        Widget.objects.create(name="quiet")
        self.assertEqual(INDEX, [])

    def test_b_save_with_indexing(self):
        post_save.connect(index_widget, sender=Widget)
        INDEX.clear()
        Widget.objects.create(name="loud")
        self.assertEqual(INDEX, ["loud"])
