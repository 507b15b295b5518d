"""`oncall-bot chat`: the README's main command, driven through its stdin/stdout and as a real process."""

from __future__ import annotations

import contextlib
import io
import os
import select
import signal
import sys
import time

import pytest
from rich.console import Console

from adapters.console import COMMANDS, ENGINE_COMMANDS, chat, show
from bot.types import Button, Message, Reply

from conftest import ROOT, oncall_bot

ANSI = "\x1b["


class RecordingEngine:
    """Answers every message with two buttons and remembers what it was sent."""

    def __init__(self, interrupt_at: int | None = None):
        self.messages: list[Message] = []
        self.interrupt_at = interrupt_at

    def handle(self, message: Message) -> Reply:
        self.messages.append(message)
        if len(self.messages) == self.interrupt_at:
            raise KeyboardInterrupt  # Ctrl-C while the assistant is answering
        return Reply("test", 1.0, (f"answer {len(self.messages)}",),
                     (Button("First", "value:first"), Button("Second", "value:second")))


class CtrlC(io.StringIO):
    def readline(self, *args) -> str:
        raise KeyboardInterrupt


def run(engine, typed: str | io.StringIO, **kwargs) -> str:
    stdout = io.StringIO()
    stdin = io.StringIO(typed) if isinstance(typed, str) else typed
    try:
        assert chat(engine, stdin, stdout, user="console-test", **kwargs) == 0
    except KeyboardInterrupt:  # a failure of this test, not Ctrl-C for the whole test run
        pytest.fail("Ctrl-C escaped chat()")
    return stdout.getvalue()


def test_console_greets_numbers_buttons_and_pressing_a_number_presses_the_button(engine):
    screen = run(engine, "1\n/help\nwhat does an ops manager do\n/quit\nnever read\n")
    assert screen.startswith("\nbot> Hi! I'm the OnCall Assistant")
    assert "  1. What does a PM do?" in screen
    # "1" pressed the first greeting button: the PM role answer follows, its heading without ** markers
    assert "bot> What a project manager does\n" in screen
    assert "Ask me things like" in screen  # /help
    assert "What an operations manager does" in screen
    assert "**" not in screen
    assert screen.rstrip().endswith("bye!")


def test_a_number_presses_that_button_and_other_numbers_are_plain_text():
    engine = RecordingEngine()
    run(engine, "2\n3\n0\n")
    assert [m.text for m in engine.messages] == ["/start", "", "3", "0"]
    assert [m.button for m in engine.messages] == [None, "value:second", None, None]


def test_console_sources_flag_shows_where_answers_come_from(engine):
    screen = run(engine, "what skills does a pm need\n", show_sources=True)
    assert "[source: project-manager › Project manager skills]" in screen
    assert "[intent: pm.skills" in screen


def test_sources_command_toggles_them(engine):
    screen = run(engine, "/sources\nwhat skills does a pm need\n/sources\nwhat does an ops manager do\n")
    shown, hidden = screen.split("(sources off)")
    assert "(sources on)" in shown and "[source: project-manager › Project manager skills]" in shown
    assert "What an operations manager does" in hidden and "[source:" not in hidden


def test_piped_output_is_plain_text_and_a_terminal_gets_bold():
    reply = Reply("x", 1.0, ("**Heading**\nsome text",), (Button("Go", "go"),))
    plain, terminal = io.StringIO(), io.StringIO()
    show(Console(file=plain, width=60), reply)
    show(Console(file=terminal, width=60, force_terminal=True), reply)
    assert plain.getvalue() == "\nbot> Heading\n     some text\n  1. Go\n"
    assert ANSI + "1m" in terminal.getvalue() and "Heading" in terminal.getvalue()


def test_chat_output_has_no_escape_codes_when_not_a_terminal(engine):
    screen = run(engine, "what skills does an ops manager need\ntell me more\n")
    assert ANSI not in screen and "\x1b" not in screen
    words = " ".join(screen.split())
    assert "• Lead teams" in words and "leadership, process optimization and budgeting" in words  # was **bold**
    assert "**" not in screen


def test_bullets_are_drawn_and_wrapped_with_a_hanging_indent():
    reply = Reply("x", 1.0, ("Signs:\n• one short\n- " + "word " * 20 + "end\n* last",))
    out = io.StringIO()
    show(Console(file=out, width=30), reply)
    lines = out.getvalue().splitlines()
    assert lines[1:4] == ["bot> Signs:", "     • one short", "     • word word word word"]
    assert lines[4].startswith("       word") and lines[-1] == "     • last"
    assert all(len(line) <= 30 for line in lines)
    assert not any(line.endswith(" ") for line in lines)


def test_long_answers_wrap_to_the_given_width(engine):
    screen = run(engine, "what does a pm do\n", width=40)
    lines = screen.splitlines()
    assert max(map(len, lines)) <= 40
    answer = lines[lines.index("bot> What a project manager does") + 1:]
    assert answer[0].startswith("     A project manager owns a project")
    assert answer[1].startswith("     ") and len(answer[1].strip()) > 20  # the paragraph went on, wrapped


def test_help_lists_every_console_command_and_the_assistants_help(engine):
    screen = run(engine, "/help\n")
    for command in [*COMMANDS, *ENGINE_COMMANDS]:
        for name in command.split(", "):
            assert name in screen.split("Ask me things like")[1], name


def test_unknown_slash_command_is_refused_without_reaching_the_engine(engine):
    recording = RecordingEngine()
    screen = run(recording, "/frobnicate now\n")
    assert [m.text for m in recording.messages] == ["/start"]
    assert "Unknown command /frobnicate" in screen and "/quit, /exit" in screen and "/help" in screen


def test_unknown_command_leaves_the_conversation_state_alone(engine):
    stdin = io.StringIO("what does a pm do\n/frobnicate\n")
    states = []
    real_readline = stdin.readline

    def readline(*args) -> str:
        states.append(engine.store.load("console:console-test"))
        return real_readline(*args)

    stdin.readline = readline
    assert chat(engine, stdin, io.StringIO(), user="console-test") == 0
    # read before "what does…", before "/frobnicate", and at the end: the last two states are the same
    assert states[1] is not None and states[1] != states[0]
    assert states[2] == states[1]


def test_engine_commands_are_passed_on():
    engine = RecordingEngine()
    run(engine, "/cancel\n/HIRE\n")
    assert [m.text for m in engine.messages] == ["/start", "/cancel", "/HIRE"]


def test_ctrl_c_while_typing_says_goodbye_and_exits_0():
    assert run(RecordingEngine(), CtrlC()).endswith("you> \nbye!\n")


def test_ctrl_c_while_the_assistant_answers_exits_0():
    engine = RecordingEngine(interrupt_at=2)
    screen = run(engine, "hello\nnever sent\n")
    assert [m.text for m in engine.messages] == ["/start", "hello"]
    assert screen.endswith("you> \nbye!\n") and "answer 2" not in screen


def test_end_of_input_and_quit_say_goodbye():
    for typed in ("", "/exit\nnever sent\n", "/quit\n"):
        engine = RecordingEngine()
        assert run(engine, typed).endswith("you> \nbye!\n")
        assert len(engine.messages) == 1


def test_no_history_file_when_stdin_is_not_a_terminal(tmp_path):
    run(RecordingEngine(), "secret@example.com\n", history=tmp_path / "history")
    assert not (tmp_path / "history").exists()


def test_chat_command_runs_as_a_process(cli):
    result = cli("chat", input="what is oncall\n/quit\n")
    assert result.returncode == 0
    assert "bot> About OnCall\n" in result.stdout
    assert "**" not in result.stdout and "\x1b" not in result.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal and XDG data dirs")
def test_at_a_terminal_lines_are_edited_kept_in_history_and_ctrl_c_exits_0(tmp_path):
    import pty

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "ONCALL_DB": str(tmp_path / "t.db"), "COLUMNS": "60"}
    history = tmp_path / "oncall-assistant" / "chat_history"
    command = oncall_bot()

    def session(keys: list[bytes]) -> tuple[str, int]:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the real command on a terminal, with Ctrl-C delivered as in a shell
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.chdir(ROOT)
                os.execve(command[0], [*command, "chat"], env)
            finally:
                os._exit(127)
        screen = b""

        def read_until_prompt() -> None:
            nonlocal screen
            deadline = time.monotonic() + 20
            while not screen.endswith(b"you> ") and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.2)[0]:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:  # the command exited
                        return

        def wait_until_reading() -> None:
            # The prompt is printed just before readline blocks in poll(): a Ctrl-C in between is only
            # noticed at the next key press (CPython's readline checks signals when poll is interrupted).
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), open(f"/proc/{pid}/wchan") as wchan:
                    if wchan.read().startswith(("poll_schedule", "do_select")):
                        return
                time.sleep(0.01)

        read_until_prompt()
        for key in keys:
            wait_until_reading()
            os.write(fd, key)
            screen += b"<sent>"
            read_until_prompt()
        deadline = time.monotonic() + 20
        while not (status := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        if not status[0]:  # still running: never hang the test run
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)
        os.close(fd)
        return screen.decode(errors="replace"), os.waitstatus_to_exitcode(status[1])

    screen, code = session([b"what skills does a pm need\r", b"\x03"])  # then Ctrl-C
    assert code == 0 and screen.rstrip().endswith("bye!") and "Traceback" not in screen
    assert ANSI + "1;36mbot> " in screen  # styled at a terminal
    assert history.read_text().splitlines() == ["what skills does a pm need"]
    assert history.stat().st_mode & 0o077 == 0

    screen, code = session([b"\x1b[A\r", b"\x04"])  # up-arrow recalls the line, then Ctrl-D
    assert code == 0 and "planning, communication and risk management" in screen.split("<sent>")[1]
