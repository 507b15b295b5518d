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
    examples = [line for lang, body in BLOCKS if lang == "console" and "DATABASE_URL" not in body
                for line in body.splitlines() if line.startswith("oncall-bot ")]
    assert len(examples) >= 4
    for line in examples:
        args = shlex.split(line)[1:]
        result = subprocess.run([*oncall_bot(), "--db", str(tmp_path / "readme.db"), *args], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{line}: {result.stderr}"
        assert result.stdout.strip(), f"{line} printed nothing"


def test_procfile_runs_the_web_server_and_a_polling_worker():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert procfile == {"release": "oncall-bot migrate", "web": "oncall-bot serve", "worker": "oncall-bot telegram"}


def test_slack_manifest_subscribes_to_what_the_app_handles():
    import yaml

    manifest = yaml.safe_load((ROOT / "adapters" / "slack" / "manifest.yml").read_text())
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "message.channels", "message.groups", "app_home_opened"}
    # exactly the scopes the app's events and Web API calls need, nothing unused
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "channels:history", "groups:history", "chat:write", "commands", "im:history",
        "im:write", "users:read"}
    assert manifest["features"]["slash_commands"][0]["command"] == "/oncall"
    assert manifest["settings"]["interactivity"]["is_enabled"] and manifest["settings"]["socket_mode_enabled"]
    assert manifest["features"]["app_home"]["home_tab_enabled"]


def test_channel_commands_name_the_missing_variable(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env["SLACK_BOT_TOKEN"] = ""  # set but empty is missing too
    for args, variable in ((["slack"], "SLACK_BOT_TOKEN"), (["telegram"], "TELEGRAM_BOT_TOKEN")):
        result = subprocess.run([*oncall_bot(), "--db", str(tmp_path / "x.db"), *args], capture_output=True,
                                text=True, env=env, timeout=60)
        assert result.returncode != 0 and variable in result.stderr, (args, result.stderr)
    env["SLACK_BOT_TOKEN"] = "xoxb-1"
    for args, variable in ((["slack"], "SLACK_APP_TOKEN"), (["serve"], "SLACK_SIGNING_SECRET")):
        result = subprocess.run([*oncall_bot(), "--db", str(tmp_path / "x.db"), *args], capture_output=True,
                                text=True, env=env, timeout=60)
        assert result.returncode != 0 and variable in result.stderr, (args, result.stderr)


def test_the_deploy_section_works_as_written_against_postgresql(tmp_path, pg_url):
    """The Deploy section's lines, in order, on a throwaway database: migrate, copy an embedded store in,
    then two web instances that share it."""
    import os
    import socket
    import time

    import httpx
    import pg

    [block] = [body for lang, body in BLOCKS if lang == "console" and "export DATABASE_URL" in body]
    url = pg.create_database(pg.admin_url())
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "ONCALL_"))},
           "DATABASE_URL": url}
    run = lambda args: subprocess.run([*oncall_bot(), *args], cwd=tmp_path, env=env,  # noqa: E731
                                      capture_output=True, text=True, timeout=120)
    # an embedded store to move
    subprocess.run([*oncall_bot(), "--db", "oncall.db", "replay"], cwd=tmp_path, env=env, check=True,
                   input='{"user": "ana", "text": "what does an ops manager do"}\n', capture_output=True, text=True)
    servers = []
    try:
        for line in block.splitlines():
            if not line.startswith("oncall-bot "):
                assert line.startswith("export DATABASE_URL=")
                continue
            args = [a.replace("$DATABASE_URL", url) for a in shlex.split(line)[1:]]
            if args[0] == "serve":
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    port = probe.getsockname()[1]
                args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
                servers.append((port, subprocess.Popen([*oncall_bot(), *args], cwd=tmp_path, env=env,
                                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
                continue
            done = run(args)
            assert done.returncode == 0, f"{line}: {done.stderr}"
            if args[0] == "db":
                assert "conversations 1" in done.stdout
        assert len(servers) == 2
        for port, process in servers:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stderr.read().decode()
                try:
                    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["ok"] is True
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "serve did not come up"
                    time.sleep(0.1)
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=15)
        pg.drop_database(pg.admin_url(), url)
