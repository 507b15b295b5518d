"""The owner's dashboard: `build_report`'s dict as one self-contained HTML page (/admin, `oncall-bot report --html`).

Inline CSS, charts as inline SVG drawn here (bot/insights/svg.py), no script and no external asset: the page
opens offline and works under a Content-Security-Policy of `default-src 'none'; style-src 'unsafe-inline'`.
Every number on it is one of the report's; nothing is recomputed but the day totals above the daily bars (the
sum of that day's channels). The markup and wording live in `templates/dashboard.html`, in named blocks
(`<!-- block: NAME -->`) filled with `string.Template`; every value put in is escaped here, since questions,
company names and campaign payloads are what people typed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from html import escape

from bot.html_blocks import blocks
from bot.insights.handoffs import duration
from bot.insights.report import FUNNEL, build_report
from bot.insights.svg import PALETTE, Row, hbars, period_days, stacked_days
from bot.storage.database import Database

TOP_INTENTS = 15
CHANNEL_COLORS = {"slack": "#7c3a84", "telegram": "#229ed9", "console": "#6b7785"}
TIER_COLORS = {"hot": "#c2410c", "warm": "#d99a1e", "cold": "#3b82c4"}
STATUS_COLORS = {"new": "#6b7785", "claimed": "#3b6ea8", "contacted": "#5b4fc4", "won": "#2e7d4f", "lost": "#b3261e"}
FUNNEL_COLOR = "#3b6ea8"
DROPOFF_COLOR = "#c7782a"
UNANSWERED_COLOR = "#b3261e"
INTENT_COLOR = "#5b6570"


def _fill(block: str, **values: object) -> str:
    return blocks("bot.insights", "templates/dashboard.html")[block].substitute(values)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _known_first(counts: dict[str, int], order: Iterable[str]) -> list[str]:
    """The keys in their natural order (hot, warm, cold; new … lost), any other key found after them."""
    known = [key for key in order if key in counts]
    return known + sorted(key for key in counts if key not in known)


def _chart(name: str, rows: list[Row], **options: object) -> str:
    """An hbars chart, or the "no data in this period" note when there is nothing to draw."""
    if not any(row.value for row in rows):
        return _fill("empty", chart=escape(name))
    return hbars(f"chart-{name}", rows, **options)


def _colors(names: list[str], known: dict[str, str]) -> dict[str, str]:
    spare = iter(color for color in PALETTE if color not in known.values())
    return {name: known.get(name) or next(spare, PALETTE[0]) for name in names}


def _legend(chart_id: str, colors: dict[str, str]) -> str:
    items = "".join(_fill("legend_item", name=escape(name), color=escape(color)) for name, color in colors.items())
    return _fill("legend", id=escape(f"legend-{chart_id}"), items=items)


def _daily(report: dict) -> str:
    rows = [row for row in report["daily"] if row["messages"]]
    if not rows:
        return _fill("empty", chart="daily")
    values = {(row["day"], row["channel"]): row["messages"] for row in rows}
    channels = sorted({row["channel"] for row in rows})
    colors = _colors(channels, CHANNEL_COLORS)
    days = period_days(report["since"], report["until"], {row["day"] for row in rows})
    chart = stacked_days("chart-daily", days, channels, values, colors, title="Messages per day by channel")
    return chart + _legend("daily", colors)


def _funnel(report: dict) -> str:
    figures = report["funnel"]
    rows = [Row(key, _label(key), figures[key], FUNNEL_COLOR) for key in FUNNEL]
    return _chart("funnel", rows, title="Funnel")


def _dropoff(report: dict) -> str:
    rows = [Row(field, field, count, DROPOFF_COLOR) for field, count in report["form_dropoff"].items()]
    return _chart("dropoff", rows, label_width=90, width=340, title="Talent requests abandoned, by field")


def _leads_by(report: dict, key: str, name: str, colors: dict[str, str]) -> str:
    counts = report[key]
    rows = [Row(k, k, counts[k], colors.get(k, PALETTE[0])) for k in _known_first(counts, colors)]
    return _chart(name, rows, label_width=90, width=340, title=_label(key))


def _unanswered(report: dict) -> str:
    rows = [Row(str(index), item["text"], item["count"], UNANSWERED_COLOR)
            for index, item in enumerate(report["unanswered"], start=1)]
    return _chart("unanswered", rows, label_width=400, width=900, title="Unanswered questions")


def _intents(report: dict) -> str:
    top = list(report["intents"].items())[:TOP_INTENTS]
    rows = [Row(intent, intent, count, INTENT_COLOR) for intent, count in top]
    return _chart("intents", rows, label_width=260, width=720, title="Top intents")


def _funnel_table(table_id: str, what: str, funnels: dict[str, dict[str, int]]) -> str:
    if not funnels:
        return _fill("empty", chart=escape(table_id))
    headers = "".join(_fill("header", label=escape(_label(key))) for key in FUNNEL)
    rows = "\n".join(
        _fill("funnel_row", name=escape(name),
              cells="".join(_fill("number_cell", key=key, value=int(figures[key])) for key in FUNNEL))
        for name, figures in funnels.items())
    return _fill("funnel_table", id=escape(table_id), what=escape(what), headers=headers, rows=rows)


def _text(value: object) -> str:
    return "—" if value is None or value == "" else escape(str(value))


def _recent_leads(report: dict) -> str:
    leads = report["recent_leads"]
    if not leads:
        return _fill("empty", chart="recent-leads")
    rows = "\n".join(
        _fill("lead_row", id=_text(lead["id"]), created_at=_text(str(lead["created_at"])[:16].replace("T", " ")),
              role=_text(lead["role"]), engagement=_text(lead["engagement"]), company=_text(lead["company"]),
              tier=_text(lead["tier"]), score=_text(lead["score"]), status=_text(lead["status"]),
              channel=_text(lead["channel"]))
        for lead in leads)
    return _fill("leads_table", rows=rows)


def _handoffs(report: dict) -> str:
    figures = report.get("handoffs") or {}
    if not figures.get("requested"):
        return _fill("empty", chart="handoffs")
    return _fill("handoffs_table", requested=int(figures["requested"]), answered=int(figures["answered"]),
                 unanswered=int(figures["unanswered"]), open=int(figures["open"]),
                 first_reply=escape(duration(figures["median_first_reply_s"])),
                 to_close=escape(duration(figures["median_to_close_s"])))


def is_empty(report: dict) -> bool:
    """Nothing happened in the period: no message, no lead."""
    return not any(report["funnel"].values()) and not report["daily"] and not report["recent_leads"]


def render_dashboard(report: dict, generated_at: str) -> str:
    """The whole page for one `build_report` result; `generated_at` is shown as given (e.g. "2026-05-01 09:30 UTC")."""
    since, until = escape(report["since"]), escape(report["until"])
    return _fill(
        "page", since=since, until=until, generated_at=escape(generated_at),
        banner=_fill("banner", since=since, until=until) if is_empty(report) else "",
        daily=_daily(report), funnel=_funnel(report), dropoff=_dropoff(report),
        tiers=_leads_by(report, "leads_by_tier", "tiers", TIER_COLORS),
        statuses=_leads_by(report, "leads_by_status", "statuses", STATUS_COLORS),
        unanswered=_unanswered(report), intents=_intents(report), intents_shown=TOP_INTENTS,
        by_channel=_funnel_table("by-channel", "channel", report["by_channel"]),
        by_campaign=_funnel_table("by-campaign", "campaign", report["by_campaign"]),
        handoffs=_handoffs(report), recent_leads=_recent_leads(report)) + "\n"


def dashboard_page(db: Database, since: date, until: date, channel: str | None = None) -> str:
    """The page for a period, as /admin serves it and `report --html` writes it."""
    return render_dashboard(build_report(db, since, until, channel), time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                   time.gmtime()))
