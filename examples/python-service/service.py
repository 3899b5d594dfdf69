"""An order worker in Python, reporting with Sentry's own SDK. Nothing here knows about Faultline:
its DSN names the intake's host instead of Sentry's, and that is the whole integration.

    SENTRY_DSN=http://<public key>@<intake host>:3000/<project> python service.py
"""
import json
import os

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    release="order-worker-py@1.4.0",
    environment=os.environ.get("ENVIRONMENT", "production"),
    traces_sample_rate=1.0,
)

ORDERS = [{"id": 1001, "total": 25}, {"id": 1002, "total": -3}, {"id": 1003, "total": 40}]


def process(order):
    sentry_sdk.add_breadcrumb(category="order", message=f"processing order {order['id']}")
    if order["total"] < 0:
        raise ValueError(f"order {order['id']} has a negative total")
    return order["total"]


with sentry_sdk.start_transaction(op="queue.process", name="process-orders"):
    for order in ORDERS:
        try:
            process(order)
        except ValueError:
            event_id = sentry_sdk.capture_exception()
            print(json.dumps({"captured": event_id}), flush=True)

sentry_sdk.capture_message("order batch finished")
sentry_sdk.flush(timeout=10)
