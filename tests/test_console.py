"""`oncall-bot chat`: the README's main command, driven through a real process's stdin/stdout."""

from __future__ import annotations

import io

from adapters.console import chat


def test_console_greets_numbers_buttons_and_pressing_a_number_presses_the_button(engine):
    stdin = io.StringIO("1\n/help\nwhat does an ops manager do\n/quit\nnever read\n")
    stdout = io.StringIO()
    assert chat(engine, stdin, stdout, user="console-test") == 0
    screen = stdout.getvalue()
    assert screen.startswith("\nbot> Hi! I'm the OnCall Assistant")
    assert "  1. What does a PM do?" in screen
    # "1" pressed the first greeting button: the PM role answer follows
    assert "bot> **What a project manager does**" in screen
    assert "Ask me things like" in screen  # /help
    assert "**What an operations manager does**" in screen
    assert screen.rstrip().endswith("bye!")


def test_console_sources_flag_shows_where_answers_come_from(engine):
    stdout = io.StringIO()
    chat(engine, io.StringIO("what skills does a pm need\n"), stdout, show_sources=True, user="s")
    assert "[source: project-manager › Project manager skills]" in stdout.getvalue()
    assert "[intent: pm.skills" in stdout.getvalue()


def test_chat_command_runs_as_a_process(cli):
    result = cli("chat", input="what is oncall\n/quit\n")
    assert "**About OnCall**" in result.stdout and result.returncode == 0
