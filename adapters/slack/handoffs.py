"""Sales' side of a live hand-off in Slack: a message in the notice's thread goes to the prospect, the
card's Close button and `/oncall close` end it. The relay's rules live in bot/sales/relay.py."""

from __future__ import annotations

from adapters.slack.render import handoff_notice, plain_text
from bot.sales.desk import SalesDesk
from bot.sales.relay import Relays


class HandoffThreads:
    def __init__(self, relays: Relays, desk: SalesDesk, client):
        self.relays, self.desk, self.client = relays, desk, client
        self.names: dict[str, str] = {}

    async def display_name(self, user: str) -> str:
        """What the prospect sees a sales person as ("Dana from OnCall"): their Slack display name."""
        if user not in self.names:
            try:
                profile = (await self.client.users_info(user=user))["user"]
                self.names[user] = (profile.get("profile", {}).get("display_name") or profile.get("real_name")
                                    or profile.get("name") or "Someone")
            except Exception:  # noqa: BLE001 - a name is nice to have; the message matters more
                return "Someone"
        return self.names[user]

    async def message(self, event: dict, body: dict) -> str:
        """A message in some thread of a channel: relayed, not_relay (no hand-off's thread), not_sales, …"""
        user, sales = event["user"], self.desk.is_sales(event["user"])
        return self.relays.from_sales(
            event["channel"], event["thread_ts"], user, await self.display_name(user) if sales else "",
            plain_text(event.get("text") or ""), bool(event.get("files")),
            (f"slack:event:{body.get('event_id')}", f"slack:message:{event['channel']}:{event['ts']}"), sales)

    async def close(self, handoff_id: str, user: str) -> str:
        """Close from Slack; the card is redrawn at once. Returns what to tell the user."""
        if not self.relays.close(handoff_id, by=user):
            return f"{handoff_id} is not open."
        handoff = self.relays.get(handoff_id)
        notice = self.relays.notice(handoff["id"])
        if notice:  # the card loses its Close button and says who closed it
            await self.client.chat_update(channel=notice["channel"], ts=notice["ts"], **handoff_notice(
                self.relays.notice_payload(handoff), closed_note=f"Closed by <@{user}>"))
        return f"Closed {handoff['id']}: the assistant answers them again."

    async def close_command(self, user: str, argument: str) -> str:
        """`/oncall close [H-…]`: Slack gives a slash command no thread, so the id, or the user's one hand-off."""
        if not self.desk.is_sales(user):
            return "Sorry, only the sales team can close a hand-off."
        ids = [argument] if argument else self.relays.owned_by(user)
        if len(ids) != 1:
            return ("You have no open hand-off." if not ids else
                    "Which one? `/oncall close H-…` with one of: " + ", ".join(ids))
        return await self.close(ids[0], user)
