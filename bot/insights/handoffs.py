"""Hand-off figures for the owner: each live hand-off with its times, and the period's summary."""

from __future__ import annotations

import statistics

from bot.storage.database import Database

OPEN = ("waiting", "open", "unanswered")


def handoff_rows(db: Database, open_only: bool = False, since_at: float | None = None,
                 until_at: float | None = None, channel: str | None = None) -> list[dict]:
    """Newest first, with time to first reply and to close in seconds (None while it hasn't happened)."""
    where, args = [], []
    if open_only:
        where.append(f"status in {OPEN}")
    for condition, value in (("created_at >= ?", since_at), ("created_at < ?", until_at), ("channel = ?", channel)):
        if value is not None:
            where.append(condition)
            args.append(value)
    rows = db.query("select id, status, channel, campaign, owner, owner_name, created_at, first_reply_at, closed_at, "
                    "close_reason from handoffs" + (" where " + " and ".join(where) if where else "") +
                    " order by created_at desc, id", args)
    for row in rows:
        row["to_first_reply_s"] = _after(row, "first_reply_at")
        row["to_close_s"] = _after(row, "closed_at")
    return rows


def _after(row: dict, column: str) -> float | None:
    return round(row[column] - row["created_at"], 1) if row[column] is not None else None


def handoff_summary(rows: list[dict]) -> dict:
    replied = [r["to_first_reply_s"] for r in rows if r["to_first_reply_s"] is not None]
    closed = [r["to_close_s"] for r in rows if r["to_close_s"] is not None]
    return {"requested": len(rows), "answered": len(replied),
            "unanswered": sum(r["status"] == "unanswered" for r in rows),
            "open": sum(r["status"] in ("waiting", "open") for r in rows),
            "median_first_reply_s": statistics.median(replied) if replied else None,
            "median_to_close_s": statistics.median(closed) if closed else None}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
