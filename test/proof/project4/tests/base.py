from django.test import TestCase


class LibraryTestCase(TestCase):
    """The base class of every test case of the suite."""
