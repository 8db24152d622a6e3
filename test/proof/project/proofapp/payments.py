import os

GATEWAY_URL = "https://pay.example/live"


def checkout_url(order_id):
    return f"{GATEWAY_URL}/checkout/{order_id}"


def mode():
    return "sandbox" if os.environ.get("PROOF_PAYMENTS_SANDBOX") == "1" else "live"
