"""The outbox under several dispatchers at once, and after one dies with an event in flight."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.outbox.webhooks import Dispatcher, enqueue
from reportguard.store.models import WebhookDelivery

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _events(engine: Engine, n: int) -> None:
    with Session(engine) as session, session.begin():
        for i in range(n):
            enqueue(session, event_id=f"e{i}", event_type="test", data={"i": i}, now=T0)


def _counting(seen: Counter[str], lock: threading.Lock, delay: float = 0.0) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        time.sleep(delay)  # a receiver that takes its time: the window for a double send
        with lock:
            seen[request.headers["webhook-id"]] += 1
        return httpx.Response(204)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_several_dispatchers_at_once_send_each_event_once(engine: Engine) -> None:
    _events(engine, 60)
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    url = "http://platform/hooks"
    dispatchers = [
        Dispatcher(engine, url=url, secret=SECRET, client=_counting(seen, lock, 0.005))
        for _ in range(4)
    ]
    threads = [threading.Thread(target=d.deliver_due, kwargs={"now": T0}) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(seen.values()) == 60
    assert set(seen.values()) == {1}
    with Session(engine) as session:
        assert set(session.scalars(sa.select(WebhookDelivery.status))) == {"delivered"}


def test_an_event_in_flight_when_a_dispatcher_dies_is_sent_again_after_its_lease(
    engine: Engine,
) -> None:
    _events(engine, 3)
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    dying = Dispatcher(engine, url="http://platform/hooks", secret=SECRET)
    claimed = dying._claim(T0)  # claimed, then the process is gone before it posts or records
    assert claimed is not None
    survivor = Dispatcher(
        engine, url="http://platform/hooks", secret=SECRET, client=_counting(seen, lock)
    )
    assert survivor.deliver_due(now=T0).delivered == 2  # the held one waits for its lease
    assert claimed.event_id not in seen
    later = T0 + survivor.lease + timedelta(seconds=1)
    assert survivor.deliver_due(now=later).delivered == 1
    assert seen == Counter({"e0": 1, "e1": 1, "e2": 1})
