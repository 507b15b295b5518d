"""A normal, non-editable install works outside the repository: the package is built into a wheel, installed into
a fresh virtualenv, and the README's commands that need no token run from another folder.

No network: the wheel is built with this environment's setuptools (no build isolation) and installed with
`--no-deps --no-index`; the fresh virtualenv finds the dependencies through a .pth line naming this
environment's site-packages. A .pth *line* adds a folder to sys.path without running that folder's own .pth
files, so the editable install of this checkout is not visible there: only the wheel's copy is imported.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bot.evaluation.stories import load_stories

from conftest import ROOT

pytestmark = pytest.mark.install

NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                    ".ruff_cache", "*.db", "*.db-wal", "*.db-shm")


def quiet(*args: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `bin/` of a fresh virtualenv with the project installed from a wheel."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"  # a copy: building in the checkout would leave build/ and egg-info behind
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    quiet(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "dist"), str(source))
    [wheel] = (work / "dist").glob("oncall_assistant-*.whl")
    venv = work / "venv"
    quiet(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    site = quiet(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    quiet(*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel))
    return venv / "bin"


def test_a_wheel_install_runs_the_readme_commands_outside_the_repository(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "stories").mkdir(parents=True)
    shutil.copy(ROOT / "eval" / "stories" / "issue-examples.yaml", elsewhere / "stories")
    config = tmp_path / "config"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "SLACK_", "TELEGRAM_", "PYTHON"))}
    env.update(ONCALL_CONFIG_DIR=str(config), ONCALL_DB=str(tmp_path / "installed.db"), HOME=str(tmp_path))

    def run(*args: str) -> str:
        result = subprocess.run([str(installed / "oncall-bot"), *args], cwd=elsewhere, env=env, capture_output=True,
                                text=True, timeout=120)
        out = result.stdout + result.stderr
        assert result.returncode == 0, f"oncall-bot {' '.join(args)}: {out}"
        assert "site-packages" not in out, f"oncall-bot {' '.join(args)} points into the package: {out}"
        return out

    where = subprocess.run([str(installed / "python"), "-c", "import bot; print(bot.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed.parent)), f"not the installed copy: {where}"
    assert "usage: oncall-bot" in run("--help")
    assert "messages: 440" in run("eval")  # the labelled set ships in the package
    shipped = sum(len(load_stories(path)[0]) for path in (ROOT / "eval" / "stories").glob("*.yaml"))
    assert f"stories: {shipped}, " in run("eval", "--stories")  # every story of eval/stories ships too
    assert "pass rate: 100.0% (19/19)" in run("eval", "--stories", "stories/issue-examples.yaml")
    status = run("kb", "status")
    assert "knowledge base: the built-in documents" in status and "every section the intents answer from" in status
    before = run("leads", "rules")
    assert f"rules file: {config / 'qualification.yaml'} (not created yet" in before
    written = run("init")
    for name in ("qualification.yaml", "policy.yaml", "labelled.yaml"):
        assert f"wrote    {config / name}:" in written and (config / name).is_file()
    after = run("leads", "rules")
    assert after.splitlines()[0] == f"rules file: {config / 'qualification.yaml'}" and "+30  starts_soon" in after
    assert "kept" in run("init")


def test_a_wheel_install_runs_every_readme_example(installed, tmp_path):
    """The README's runnable examples (the `console` blocks), each with the installed command; they name files
    of the checkout (eval/holdout.yaml, knowledge/documents), so they run from it, on a throwaway database."""
    from test_readme import BLOCKS

    examples = [line for lang, body in BLOCKS if lang == "console" and "DATABASE_URL" not in body
                for line in body.splitlines() if line.startswith("oncall-bot ")]
    assert len(examples) >= 15
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "SLACK_", "TELEGRAM_", "PYTHON"))}
    env.update(ONCALL_CONFIG_DIR=str(tmp_path / "config"), HOME=str(tmp_path))
    for line in examples:
        args = [str(installed / "oncall-bot"), "--db", str(tmp_path / "readme.db"), *shlex.split(line)[1:]]
        result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and result.stdout.strip(), f"{line}: {result.stdout}{result.stderr}"
