"""`oncall-bot replay`: JSON Lines in, one JSON line out per input line, flushed, in order."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from bot.engine import Engine
from bot.types import Message


def parse_line(line: str) -> Message:
    """The input line as a Message, or ValueError with a message fit to show the integrator."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    user = data.get("user")
    if not isinstance(user, str) or not user.strip():
        raise ValueError('"user" is required and must be a non-empty string')
    channel = data.get("channel", "replay")
    if not isinstance(channel, str) or not channel:
        raise ValueError('"channel" must be a non-empty string when given')
    text, button = data.get("text"), data.get("button")
    if button is not None:
        if not isinstance(button, str):
            raise ValueError('"button" must be a string')
        return Message(user=user, button=button, channel=channel)
    if not isinstance(text, str):
        raise ValueError('each line needs "text" (a string) or "button" (a string)')
    return Message(user=user, text=text, channel=channel)


def run(engine: Engine, lines: Iterable[str], out: TextIO) -> int:
    for line in lines:
        if not line.strip():
            continue
        try:
            message = parse_line(line)
        except ValueError as error:
            result = {"error": str(error)}
        else:
            result = engine.handle(message).to_json(message.user)
        out.write(json.dumps(result) + "\n")  # ASCII-escaped: the C encoder's fastest path
        out.flush()
    return 0
