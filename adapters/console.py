"""`oncall-bot chat`: an interactive terminal chat. Replies' light markdown (**bold**, • or - bullets) is
drawn with rich and wrapped to the terminal; piped output stays plain text. Buttons show as numbered
choices: type the number to press one. At a terminal, lines get readline editing and history."""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import platformdirs
from rich.console import Console
from rich.text import Text

from bot.dialogue.manager import SLASH_COMMANDS
from bot.engine import Engine
from bot.types import Button, Message, Reply

PROMPT = "you> "
BOT = Text("bot> ", style="bold cyan")
INDENT = " " * len(BOT)
HISTORY_LINES = 500
QUIT = ("/quit", "/exit")
COMMANDS = {  # the console's own commands, for /help and unknown commands
    "/help": "what you can ask, and these commands",
    "/sources": "show or hide each answer's source section and intent",
    ", ".join(QUIT): "leave (so do Ctrl-D and Ctrl-C)",
}
ENGINE_COMMANDS = frozenset(SLASH_COMMANDS) | {"/forget"}  # passed on to the assistant as typed
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^\s*[•*-]\s+")


def history_path() -> Path:
    """Where `oncall-bot chat` keeps the lines typed at a terminal."""
    return Path(platformdirs.user_data_dir("oncall-assistant", appauthor=False)) / "chat_history"


def styled(markdown: str) -> Text:
    """One line of the engine's markdown as rich Text: **bold** becomes bold, nothing else is markup."""
    text, end = Text(), 0
    for match in _BOLD.finditer(markdown):
        text.append(markdown[end:match.start()])
        text.append(match.group(1), style="bold")
        end = match.end()
    return text.append(markdown[end:])


def _wrapped(console: Console, first: Text | str, hang: str, body: Text) -> Iterator[Text]:
    """`body` wrapped to the console's width after `first`; later lines are indented by `hang`."""
    width = max(console.width - max(len(first), len(hang)), 10)
    for n, piece in enumerate(body.wrap(console, width) or [Text()]):
        line = Text.assemble(first if n == 0 else hang, piece)
        line.rstrip()
        yield line


def show(console: Console, reply: Reply, show_sources: bool = False) -> None:
    """A reply after a blank line: `bot>` before each text, bullets with a hanging indent, numbered buttons."""
    lines: list[Text] = []
    for markdown in reply.texts:
        for n, line in enumerate(markdown.splitlines() or [""]):
            head = BOT if n == 0 else INDENT
            if bullet := _BULLET.match(line):
                lines += _wrapped(console, Text.assemble(head, "• "), INDENT + "  ", styled(line[bullet.end():]))
            else:
                lines += _wrapped(console, head, INDENT, styled(line))
    if show_sources:
        notes = [f"[source: {s.document} › {s.section}]" for s in reply.sources]
        for note in [*notes, f"[intent: {reply.intent} {reply.confidence:.2f}]"]:
            lines += _wrapped(console, INDENT, INDENT, Text(note, style="dim"))
    for n, button in enumerate(reply.buttons, start=1):
        lines += _wrapped(console, Text(f"  {n}. ", style="bold"), INDENT, Text(button.label))
    console.print()
    for line in lines:
        console.print(line, overflow="ignore", crop=False)


def show_commands(console: Console, heading: str = "Console commands:") -> None:
    width = max(map(len, COMMANDS))
    others = ", ".join(sorted(ENGINE_COMMANDS - set(COMMANDS)))
    console.print("\n" + heading, style="bold")
    console.print("\n".join([*(f"  {c:<{width}}  {what}" for c, what in COMMANDS.items()),
                             f"The assistant also understands {others}."]), style="dim")


def _line_editing(history: Path | None) -> Callable[[], None]:
    """readline editing for input(), with the last HISTORY_LINES lines kept in `history`; returns `save`."""
    try:
        import readline
    except ImportError:  # no GNU readline/libedit here: input() still works, without editing
        return lambda: None
    readline.set_history_length(HISTORY_LINES)
    if history is None:
        return lambda: None
    with contextlib.suppress(OSError):
        readline.read_history_file(history)

    def save() -> None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)
            os.chmod(history, 0o600)

    return save


def _read(stdin: TextIO, stdout: TextIO, interactive: bool) -> str | None:
    """The next line typed, or None at end of input (Ctrl-D)."""
    if interactive:
        with contextlib.suppress(EOFError):
            return input(PROMPT)
        return None
    stdout.write(PROMPT)
    stdout.flush()
    return stdin.readline() or None


def chat(engine: Engine, stdin: TextIO, stdout: TextIO, show_sources: bool = False, user: str | None = None,
         width: int | None = None, history: Path | None = None) -> int:
    """Talk until /quit, /exit, end of input or Ctrl-C; always returns 0. `width`: wrap there instead of
    at the terminal's width. `history`: where readline keeps typed lines (only when stdin is a terminal)."""
    user = user or getpass.getuser()
    console = Console(file=stdout, width=width, highlight=False, markup=False, emoji=False)
    interactive = stdin is sys.stdin and stdin.isatty()
    save_history = _line_editing(history) if interactive else (lambda: None)
    buttons: list[Button] = []
    try:
        text = "/start"  # the greeting, as every channel starts
        while True:
            command = text.split()[0].lower() if text.startswith("/") else ""
            if command in QUIT:
                break
            if command == "/sources":
                show_sources = not show_sources
                console.print(f"\n(sources {'on' if show_sources else 'off'})", style="dim")
            elif command and command not in ENGINE_COMMANDS:
                show_commands(console, f"Unknown command {command}, nothing was sent. Console commands:")
            else:
                pressed = text.isdecimal() and 1 <= int(text) <= len(buttons)
                reply = engine.handle(Message(user=user, button=buttons[int(text) - 1].value) if pressed
                                      else Message(user=user, text=text))
                buttons = list(reply.buttons)
                show(console, reply, show_sources)
                if command == "/help":
                    show_commands(console)
            line = _read(stdin, stdout, interactive)
            if line is None:
                break
            text = line.strip()
    except KeyboardInterrupt:  # Ctrl-C, while typing or while the assistant answers
        pass
    finally:
        save_history()
    console.print("\nbye!")
    return 0
