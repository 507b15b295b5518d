"""Pacing holds across instances: reservations from several store connections never share a slot."""

from __future__ import annotations

import threading

import pytest

from bot.storage.database import open_db
from bot.storage.pacing import Pacer


@pytest.fixture
def fresh_db(any_db):
    return any_db


def test_one_slot_per_interval_per_lane(fresh_db):
    now = [1000.0]
    pacer = Pacer(fresh_db, interval_s=1.0, clock=lambda: now[0])
    assert [pacer.reserve("slack:C1") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pacer.reserve("slack:C2") == 0.0  # lanes are independent
    assert pacer.reserve("telegram", 0.5) == 0.0
    now[0] = 1010.0  # a quiet lane starts again at once
    assert pacer.reserve("slack:C1") == 0.0


def test_two_instances_reserving_at_once_get_distinct_slots(fresh_db):
    location = fresh_db.url
    now = 5000.0
    waits: list[float] = []
    lock = threading.Lock()

    def instance() -> None:
        db = fresh_db if location == ":memory:" else open_db(location)  # its own connection (pool)
        pacer = Pacer(db, interval_s=1.0, clock=lambda: now)
        mine = [pacer.reserve("slack:CBUSY") for _ in range(40)]
        with lock:
            waits.extend(mine)
        if db is not fresh_db:
            db.close()

    threads = [threading.Thread(target=instance) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(n) for n in range(120)]  # 120 sends, 120 different seconds


@pytest.mark.asyncio
async def test_the_context_manager_waits_for_the_slot(fresh_db):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = Pacer(fresh_db, interval_s=2.0, clock=lambda: 0.0, sleep=sleep)
    for _ in range(3):
        async with pacer("slack:C9", ("telegram", 0.1)):
            pass
    assert slept == [2.0, 4.0]  # the first goes at once; the lane's wait dominates the global one
