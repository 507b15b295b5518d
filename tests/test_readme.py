"""The README is tested: its first two commands, every CLI command documented, its examples run."""

from __future__ import annotations

import re
import shlex
import subprocess

from adapters.cli import build_parser

from conftest import ROOT, oncall_bot

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)


def test_readme_opens_with_install_and_run_then_the_test_command_that_ci_runs():
    first, second = BLOCKS[0][1].strip(), BLOCKS[1][1].strip()
    assert "pip install" in first and first.endswith("oncall-bot chat")
    ci = (ROOT / ".ci" / "run").read_text()
    assert second in ci.splitlines(), f"CI must run the README's test command {second!r}"


def test_every_cli_command_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps subcommands here
    for name, sub in commands.items():
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        names = [f"{name} {child}" for child in nested[0].choices] if nested else [name]
        for full in names:
            assert f"`oncall-bot {full}" in README, f"README does not document `oncall-bot {full}`"


def test_readme_examples_run(tmp_path):
    examples = [line for lang, body in BLOCKS if lang == "console" for line in body.splitlines()
                if line.startswith("oncall-bot ")]
    assert len(examples) >= 4
    for line in examples:
        args = shlex.split(line)[1:]
        result = subprocess.run([*oncall_bot(), "--db", str(tmp_path / "readme.db"), *args], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{line}: {result.stderr}"
        assert result.stdout.strip(), f"{line} printed nothing"
