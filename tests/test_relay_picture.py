"""docs/relay-thread.png, drawn from a real run of the live hand-off relay, in Debian's Chromium.

The conversation is played in process on SQLite as in tests/test_relay_e2e.py (the real Bolt app, Telegram
webhook, sales-channel worker and reply senders, against the local fakes). The picture is then drawn from what
was recorded: the bot's posts in the sales channel and its chat.update of the card (the fake Slack Web API),
what people wrote in the thread and Dana's click (the events delivered to the app, as Slack would, placed
where they arrived) and the whole Telegram chat, the prospect's messages and the bot's (the fake Telegram API).
`ONCALL_SCREENSHOT_RELAY=docs/relay-thread.png pytest tests/test_relay_picture.py` updates the README's picture.
In CI (CI=true) a missing Chromium or Playwright fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from string import Template
from typing import Any

import pytest
from test_dashboard_browser import CHROMIUM_ARGS, _chromium, playwright_api
from test_relay_e2e import ASK, CHAT, CLOSED, OTHER, QUESTION, Desk, close_desk, open_desk, telegram_hand_off

from conftest import ROOT
from slack_harness import BOT_USER, SALES_CHANNEL, SALES_USER

pytestmark = pytest.mark.browser

NAMES = {SALES_USER: "Dana", OTHER: "Max", BOT_USER: "OnCall Assistant"}
DANA_SAYS = ("Hi, I'm Dana from the sales team. What role is it, and from when?",
             "Thanks Jo! I'll email you two profiles today.")
ANSWER = "A part-time ops manager, 2 days a week, from next month. I'm jo@acme.com"
ASIDE = "Nice one, I'll let Dana handle it"
PAGE = Template((Path(__file__).parent / "data" / "slack_thread.html").read_text())


class Thread:
    """What people did in the notice's thread: (bot posts in the channel before it, who, text or None for
    the click on Close)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.done: list[tuple[int, str, str | None]] = []

    def _at(self) -> int:
        return len(self.desk.slack.history(SALES_CHANNEL))

    async def say(self, text: str, user: str) -> None:
        self.done.append((self._at(), user, text))
        await self.desk.in_thread(text, user=user)

    async def close(self, user: str) -> None:
        self.done.append((self._at(), user, None))
        await self.desk.click_close(user)


async def play(desk: Desk) -> Thread:
    for name, user in (("Dana", SALES_USER), ("Max", OTHER)):
        desk.slack.add_user(user, real_name=name, profile={"display_name": name, "real_name": name})
    thread = Thread(desk)
    await desk.tg_say(QUESTION)
    await desk.tg_say("how fast can someone start?")
    await telegram_hand_off(desk)  # ASK, and the notice in the sales channel
    await thread.say(DANA_SAYS[0], SALES_USER)
    await desk.tg_flush()
    assert await desk.tg_say(ANSWER) == []  # relayed, not answered
    await desk.worker_pass()
    await thread.say(ASIDE, OTHER)
    await desk.tg_flush()
    await desk.worker_pass()
    await thread.say(DANA_SAYS[1], SALES_USER)
    await desk.tg_flush()
    await thread.close(SALES_USER)
    await desk.tg_flush()
    await desk.worker_pass()
    return thread


# -- drawing: Slack's mrkdwn and Block Kit, Telegram's HTML ------------------------------------------------
def _slack_text(raw: str) -> str:
    """One mrkdwn line without <...> links: Slack's &amp; &lt; &gt; undone, then escaped for the page."""
    return html.escape(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def mrkdwn(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        quoted = line.startswith(">")  # a typed ">" arrives as &gt;
        parts = re.split(r"(<[^<>]+>)", line[1:].lstrip() if quoted else line)
        out = "".join(_slack_text(p) if i % 2 == 0 else html.escape(_link(p[1:-1])) for i, p in enumerate(parts))
        out = re.sub(r"(?<!\w)\*(\S[^*]*?)\*(?!\w)", r"<b>\1</b>", out)
        out = re.sub(r"(?<!\w)_(\S[^_]*?)_(?!\w)", r"<i>\1</i>", out)
        lines.append(f"<blockquote>{out}</blockquote>" if quoted else out + "<br>")
    return "".join(lines).removesuffix("<br>")


def _link(inner: str) -> str:
    if inner.startswith("@"):
        return "@" + NAMES.get(inner[1:], inner[1:])
    return inner.split("|", 1)[-1]


def blocks(items: list[dict[str, Any]]) -> str:
    out = []
    for block in items:
        if block["type"] == "section":
            out.append(f'<div class="section">{mrkdwn(block["text"]["text"])}</div>')
        elif block["type"] == "context":
            texts = (mrkdwn(e["text"]) if e["type"] == "mrkdwn" else html.escape(e["text"]) for e in block["elements"])
            out.append(f'<div class="context">{" ".join(texts)}</div>')
        elif block["type"] == "actions":
            out.append('<div class="actions">' + "".join(f'<button>{html.escape(e["text"]["text"])}</button>'
                                                         for e in block["elements"]) + "</div>")
        else:
            raise AssertionError(f"no drawing for a {block['type']} block")
    return "".join(out)


def slack_message(user: str, body: str, bot: bool) -> str:
    who = NAMES.get(user, user)
    kind = "bot" if bot else "user" + ("" if user == SALES_USER else " other")
    badge = '<span class="badge">APP</span>' if bot else ""
    return (f'<div class="msg {kind}"><div class="avatar">{html.escape(who[0])}</div><div class="body">'
            f'<span class="name">{html.escape(who)}</span>{badge}<div>{body}</div></div></div>')


class TelegramHTML(HTMLParser):
    """Telegram's parse_mode=HTML subset, re-escaped: only the formatting tags survive."""

    TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "s": "s", "code": "code", "a": "u"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.out += [f"<{self.TAGS[tag]}>"] if tag in self.TAGS else []

    def handle_endtag(self, tag: str) -> None:
        self.out += [f"</{self.TAGS[tag]}>"] if tag in self.TAGS else []

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data).replace("\n", "<br>"))


def draw(desk: Desk, thread: Thread) -> tuple[str, str]:
    """The Slack column and the Telegram column, from what the fakes and the app received."""
    posted = desk.slack.history(SALES_CHANNEL)
    notice = desk.notice_ts()
    assert all(m["user"] == BOT_USER and m["bot_id"] for m in posted)  # the fake records the bot's posts
    [parent] = [m for m in posted if m["ts"] == notice]
    rows = [(i, 1, slack_message(m["user"], blocks(m["blocks"]), bot=True))
            for i, m in enumerate(posted) if m.get("thread_ts") == notice]
    rows += [(at, 0, slack_message(user, mrkdwn(text), bot=False) if text is not None else
              f'<div class="action">{html.escape(NAMES[user])} clicked Close on the card</div>')
             for at, user, text in thread.done]
    [update] = desk.slack.calls_to("chat.update")
    assert update.params["ts"] == notice
    slack = (slack_message(parent["user"], blocks(parent["blocks"]), bot=True) +
             f'<div class="replies">{sum("msg" in row for *_, row in rows)} replies</div>' +
             "".join(row for *_, row in sorted(rows, key=lambda r: r[:2])) +
             '<div class="updated"><div class="caption">The card after Close (chat.update)</div>' +
             blocks(update.json("blocks")) + "</div>")

    chat = list(itertools.takewhile(bool, (desk.telegram.get_message(CHAT, i) for i in itertools.count(1))))
    assert sum(m["from"]["is_bot"] for m in chat) == len(desk.tg_texts())  # the whole chat, in order
    bubbles = []
    for m in chat:
        keys = "".join(f"<button>{html.escape(k['text'])}</button>" for row in
                       m.get("reply_markup", {}).get("inline_keyboard", []) for k in row)
        text = "".join(TelegramHTML(m["text"]).out) if m["from"]["is_bot"] else html.escape(m["text"])
        bubbles.append(f'<div class="bubble {"bot" if m["from"]["is_bot"] else "prospect"}">{text}'
                       + (f'<div class="keys">{keys}</div>' if keys else "") + "</div>")
    return slack, "\n".join(bubbles)


def _async_playwright() -> Any:
    return playwright_api("async")


@pytest.mark.asyncio
async def test_the_relay_thread_picture_is_drawn_from_a_real_run(fresh_db: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    chromium, async_playwright = _chromium(), _async_playwright()
    for name in ("ONCALL_HANDOFF_WAIT_MINUTES", "ONCALL_RELAY_IDLE_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    desk = await open_desk(fresh_db, "webhook")
    try:
        thread = await play(desk)
        slack, telegram = draw(desk, thread)
        relayed = desk.thread()
        tg = desk.tg_texts()
    finally:
        await close_desk(desk)
    assert relayed[0] == f"*They wrote:* {ANSWER}" and "Closed by <@USALES>" in relayed[-1]
    assert [t for t in tg if "Dana from OnCall" in t] == [f"<b>Dana from OnCall:</b> {said}" for said in DANA_SAYS]
    assert any(CLOSED in t for t in tg) and not any(ASIDE in t for t in tg)
    page_html = PAGE.substitute(slack=slack, telegram=telegram)
    assert f"<b>They wrote:</b> {html.escape(ANSWER)}" in slack
    assert slack.count(html.escape(ASIDE)) == 1 and html.escape(ASIDE) not in telegram
    assert telegram.count("<b>Dana from OnCall:</b>") == len(DANA_SAYS)
    assert slack.count("<button>Close</button>") == 1  # on the card as posted; the updated card has none

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 700})
        try:
            page = await browser.new_page()
            await page.set_content(page_html)
            shown_slack = await page.locator("#slack").inner_text()
            shown_tg = await page.locator("#telegram").inner_text()
            shot = tmp_path / "relay-thread.png"
            await page.screenshot(path=str(shot), full_page=True)
        finally:
            await browser.close()
    # what the picture shows: the prospect's words once in the thread, Dana's once in the chat, the aside only in Slack
    assert shown_slack.count(f"They wrote: {ANSWER}") == 1 and shown_slack.count(ASIDE) == 1
    assert shown_tg.count("Dana from OnCall:") == len(DANA_SAYS) and ASIDE not in shown_tg
    assert all(shown_tg.count(f"Dana from OnCall: {said}") == 1 for said in DANA_SAYS)
    assert all(shown_slack.count(said) == 1 for said in DANA_SAYS) and shown_tg.count(ASK) == 1
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    if os.environ.get("ONCALL_SCREENSHOT_RELAY"):
        target = Path(os.environ["ONCALL_SCREENSHOT_RELAY"])
        shutil.copyfile(shot, target if target.is_absolute() else ROOT / target)
