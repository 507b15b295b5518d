"""Engine replies and leads as Slack messages: mrkdwn text, Block Kit buttons, lead cards."""

from __future__ import annotations

import re

from bot.types import Reply

MAX_SECTION = 2900  # a section block's text is limited to 3000 characters
BUTTON_ACTION = "oncall_button"
LEAD_ACTION = "lead_status"
RELAY_CLOSE = "relay_close"
LEAD_BUTTONS = (("Claim", "claimed"), ("Contacted", "contacted"), ("Won", "won"), ("Lost", "lost"))


def escape(text: str) -> str:
    """Slack's three control characters: user text can never become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain_text(slack_text: str) -> str:
    """What a person typed, from Slack's message text: mentions dropped, links and channel names as written
    ("<https://x.io|x.io>" → "x.io", "<https://x.io/a|our page>" → "our page (https://x.io/a)",
    "<mailto:jo@acme.com|jo@acme.com>" → "jo@acme.com", "<#C1|sales>" → "#sales"), and Slack's three escapes
    undone ("R&amp;D" → "R&D")."""
    def shown(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "!")):
            return "" if target.startswith("@") else (f"@{label}" if label else f"@{target[1:].split('^')[0]}")
        if target.startswith("#"):
            return f"#{label}" if label else target
        address = target.removeprefix("mailto:")
        return f"{label} ({address})" if label and label not in (address, address.split("://")[-1]) else (
            label or address)

    text = re.sub(r"(?<=\S) {2,}", " ", _SLACK_LINK.sub(shown, slack_text))  # where a mention was cut out
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def mrkdwn(markdown: str) -> str:
    """The engine's light markdown (**bold**, • bullets) as Slack mrkdwn, escaped."""
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", escape(markdown))


def reply_message(reply: Reply) -> dict:
    """chat.postMessage arguments (text + blocks) for an engine reply."""
    texts = [mrkdwn(t) for t in reply.texts]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
              for text in texts for chunk in _chunks(text)]
    if reply.buttons:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"{BUTTON_ACTION}_{i}", "value": b.value[:2000],
             "text": {"type": "plain_text", "text": b.label[:75]}} for i, b in enumerate(reply.buttons[:25])]})
    return {"text": "\n\n".join(texts)[:3000], "blocks": blocks}


def _chunks(text: str) -> list[str]:
    return [text[i:i + MAX_SECTION] for i in range(0, len(text), MAX_SECTION)] or [" "]


def lead_card(lead: dict, note: str | None = None) -> dict:
    """The sales channel's card for a lead: tier, reasons, fields, channel, transcript, status buttons."""
    fields = [("Role", lead.get("role")), ("Engagement", lead.get("engagement")),
              ("Start", f"{lead.get('start')} (“{lead.get('start_said')}”)" if lead.get("start_said") else
               lead.get("start")), ("Company", lead.get("company")), ("Size", lead.get("company_size")),
              ("Name", lead.get("name")), ("Email", lead.get("email")), ("Phone", lead.get("phone")),
              ("Channel", lead.get("channel")), ("Source", lead.get("source") or lead.get("campaign"))]
    title = f"*New {lead['tier'].upper()} lead {lead['id']}* — score {lead['score']}, status *{lead['status']}*"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}:* {escape(str(v))}"}
                                       for k, v in fields if v][:10]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Why: " + escape("; ".join(lead["reasons"]))
                                          if lead.get("reasons") else "Why: no rule matched"}]},
    ]
    if lead.get("details"):
        details = "*Details:* " + escape(lead["details"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": details[:2900]}})
    if lead.get("transcript"):
        quoted = "\n".join(f"> {escape(line)}" for line in lead["transcript"][-6:])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Conversation:*\n{quoted}"[:2900]}})
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    if lead["status"] not in ("won", "lost"):
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"{LEAD_ACTION}_{status}", "value": lead["id"],
             "text": {"type": "plain_text", "text": label}} for label, status in LEAD_BUTTONS]})
    # `text` drives notifications: escaped like the blocks, so a company called "<!channel>" pings no one
    return {"text": f"New {lead['tier']} lead {lead['id']} ({escape(lead.get('company') or 'unknown company')})",
            "blocks": blocks}


def handoff_notice(handoff: dict, closed_note: str | None = None) -> dict:
    """The hand-off card: who, where, what they asked, the conversation so far; with a relay, how to answer
    them (reply in the thread) and a Close button."""
    where = escape(handoff["channel"]) + (f" (campaign {escape(handoff['campaign'])})" if handoff.get("campaign")
                                          else "")
    lines = [f"*{escape(handoff['user'])}* on {where} asked to talk to a person ({handoff['id']})."]
    if handoff.get("question"):
        lines.append(f"*Question:* {escape(handoff['question'])}")
    if handoff.get("recommendation"):
        lines.append(f"Recommended so far: {handoff['recommendation']}")
    if handoff.get("transcript"):
        lines.append("\n".join(f"> {escape(line)}" for line in handoff["transcript"]))
    text = "\n".join(lines)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]
    if handoff.get("relay") and closed_note is None:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Reply in this thread to talk to them: they see your name and your text (files are not passed on). "
            "Their answers appear here.")}]})
        blocks.append({"type": "actions", "elements": [{"type": "button", "action_id": RELAY_CLOSE,
                                                        "value": handoff["id"],
                                                        "text": {"type": "plain_text", "text": "Close"}}]})
    if closed_note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": closed_note}]})
    return {"text": text[:3000], "blocks": blocks}


def relay_message(payload: dict) -> dict:
    """A line in the hand-off thread: what the prospect wrote (escaped: it is their text), or our note."""
    prospect = payload.get("from") == "prospect"  # otherwise our own note, from intents/messages.yaml
    text = f"*They wrote:* {escape(payload['text'])}" if prospect else payload["text"]
    return {"text": text[:3000], "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]}


def leads_list(leads: list[dict]) -> str:
    if not leads:
        return "No open leads."
    return "\n".join(f"• *{lead['id']}* {lead['tier']} ({lead['score']}) — {escape(lead.get('company') or '?')}, "
                     f"{lead.get('role')}, {lead['status']}" for lead in leads[:40])


def home_view() -> dict:
    return {"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*OnCall Assistant*\nAsk me in a DM or mention me in a channel: what a Project Manager or an "
            "Operations Manager does, which one you need for your situation, whether you need both, and how "
            "OnCall places vetted PMs and Ops managers part-time, full-time or per project.\n"
            "Use `/oncall <question>` anywhere for a private answer, `/oncall share <question>` to post it.")}},
        {"type": "actions", "elements": [{"type": "button", "action_id": f"{BUTTON_ACTION}_home",
                                          "value": "intent:lead.start", "style": "primary",
                                          "text": {"type": "plain_text", "text": "Request talent"}}]},
    ]}
