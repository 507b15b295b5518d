"""Pacing shared by every instance: at most one send per interval on each lane (a Slack channel, a
Telegram chat), however many processes are sending.

Each send reserves the next free slot of its lane with one atomic upsert — the lane's `next_at` moves
forward by the interval from whichever is later, now or the last reservation — and waits until its slot.
Two instances reserving at once get consecutive slots, never the same one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.storage.database import Database


class Pacer:
    def __init__(self, db: Database, interval_s: float = 1.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.db, self.interval, self.clock, self.sleep = db, interval_s, clock, sleep

    def reserve(self, lane: str, interval_s: float | None = None) -> float:
        """The seconds to wait before this send may go out on `lane` (0: at once)."""
        now, interval = self.clock(), self.interval if interval_s is None else interval_s
        next_at = self.db.scalar(
            "insert into pacing (lane, next_at) values (?, ?) on conflict (lane) do update set next_at = "
            f"{self.db.greatest('pacing.next_at', '?')} + ? returning next_at",
            [lane, now + interval, now, interval])
        return max(0.0, next_at - interval - now)

    @asynccontextmanager
    async def __call__(self, lane: str, *more: tuple[str, float]) -> AsyncIterator[None]:
        """Wait for a slot on `lane` (at the default interval) and on each (lane, interval) of `more`."""
        wait = max([self.reserve(lane), *(self.reserve(name, interval) for name, interval in more)])
        if wait:
            await self.sleep(wait)
        yield
