import os

from django.conf import settings


class Gateway:
    """The payment provider's client: the sandbox when PAYMENTS_SANDBOX is set, live money otherwise."""

    def charge(self, order):
        url = "https://sandbox.pay.example" if os.environ.get("PAYMENTS_SANDBOX") == "1" else "https://pay.example"
        return {"url": url, "amount": order.total, "currency": settings.CURRENCY}
