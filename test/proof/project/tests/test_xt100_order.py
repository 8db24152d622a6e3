from django.db import models
from django.test import TestCase


class Tag(models.Model):
    """A tag with a unique name: SQLite answers lookups on it from the name index, in name order."""

    name = models.CharField(max_length=20, unique=True)

    class Meta:
        app_label = "tests"


class TagLookupTests(TestCase):
    def test_tags_by_name(self):
        zeta = Tag.objects.create(name="zeta")
        alpha = Tag.objects.create(name="alpha")
        self.assertEqual(list(Tag.objects.filter(name__in=["zeta", "alpha"])), [zeta, alpha])

    def test_tags_by_name_as_a_queryset(self):
        kappa = Tag.objects.create(name="kappa")
        delta = Tag.objects.create(name="delta")
        self.assertQuerysetEqual(list(Tag.objects.filter(name__in=["kappa", "delta"])), [kappa, delta])


def test_tags_by_name_in_a_function(db):
    omega = Tag.objects.create(name="omega")
    beta = Tag.objects.create(name="beta")
    assert list(Tag.objects.filter(name__in=["omega", "beta"])) == [omega, beta]
