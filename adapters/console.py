"""`oncall-bot chat`: an interactive terminal chat. Buttons show as numbered choices."""

from __future__ import annotations

import getpass
from typing import TextIO

from bot.engine import Engine
from bot.types import Message, Reply

PROMPT = "you> "


def render(reply: Reply, show_sources: bool) -> str:
    lines = ["", *(f"bot> {text}" for text in reply.texts)]
    if show_sources:
        lines += [f"     [source: {s.document} › {s.section}]" for s in reply.sources]
        lines.append(f"     [intent: {reply.intent} {reply.confidence:.2f}]")
    lines += [f"  {n}. {b.label}" for n, b in enumerate(reply.buttons, start=1)]
    return "\n".join(lines) + "\n"


def chat(engine: Engine, stdin: TextIO, stdout: TextIO, show_sources: bool = False, user: str | None = None) -> int:
    user = user or getpass.getuser()
    greeting = engine.handle(Message(user=user, button="intent:smalltalk.greet"))
    stdout.write(render(greeting, show_sources))
    buttons = list(greeting.buttons)
    while True:
        stdout.write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text in {"/quit", "/exit"}:
            break
        if text == "/help":
            message = Message(user=user, button="intent:help")
        elif text.isdigit() and 1 <= int(text) <= len(buttons):
            message = Message(user=user, button=buttons[int(text) - 1].value)
        else:
            message = Message(user=user, text=line.rstrip("\n"))
        reply = engine.handle(message)
        buttons = list(reply.buttons)
        stdout.write(render(reply, show_sources))
    stdout.write("\nbye!\n")
    return 0
