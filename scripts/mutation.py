"""Mutation testing before a release (not in CI): how many planted bugs do the tests catch, per package?

    .venv/bin/python scripts/mutation.py                                   # bot/ and the delivery code
    .venv/bin/python scripts/mutation.py --paths bot/dialogue/questions.py # one module (a few minutes)
    .venv/bin/python scripts/mutation.py --paths bot/sales adapters/slack/render.py --max-children 2 --keep

mutmut 3 (a development-time dependency: `pip install mutmut hypothesis`) mutates the code and runs the
tests that cover each mutated function. It reads its settings from `[tool.mutmut]` in pyproject.toml or a
`[mutmut]` section in setup.cfg, and writes everything it makes under `mutants/`. This script leaves the
working tree untouched: it copies the repository (without .venv and .git) to a temporary directory, writes
a setup.cfg there, runs `python -m mutmut run` and `python -m mutmut results --all true` there with this
Python, and prints killed / survived / total and the score per package. The copy is deleted at the end
unless --keep is given (then `cd` there and use `mutmut show NAME` or `mutmut browse`).

The score is mutmut's own (its badge): (killed + timeout) / (total - skipped). "no tests" mutants sit in
functions that the selected tests never call: they count against the score.

Tests: each package has a fast, in-process selection (TESTS below); the union for the chosen paths is run.
Tests that start `oncall-bot` as a subprocess (the `cli` fixture, the process and README tests) are left
out: they run the installed code rather than the mutant, so they cannot kill one, and they are slow.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What is mutated by default: bot/ (its evaluation tooling aside) and the adapters' delivery code.
DEFAULT_PATHS = ("bot/understanding", "bot/dialogue", "bot/answers", "bot/sales", "bot/storage", "bot/engine.py",
                 "bot/types.py", "adapters/slack/sales.py", "adapters/telegram/runner.py",
                 "adapters/slack/render.py", "adapters/telegram/render.py", "adapters/workers.py")
# Copied whole into mutants/ so every import resolves to the copy (a mutated module next to the original
# package would be shadowed by the editable install); only the chosen paths are mutated.
PACKAGES = ("bot", "adapters", "intents", "knowledge")
ALSO_COPY = ("eval",)  # data the tests read next to the code (tests/, pyproject.toml: mutmut copies those)
# Report rows, most specific first: a module counts in the first package its path starts with.
GROUPS = ("bot/understanding", "bot/dialogue", "bot/answers", "bot/sales", "bot/storage", "bot/evaluation", "bot",
          "adapters", "intents", "knowledge")
GROUP_LABELS = {"bot": "bot (engine, types)"}

_UNDERSTANDING = ("test_understanding.py", "test_intents.py", "test_evaluation.py", "test_stories.py",
                  "test_conversation.py", "test_bad_input.py")
TESTS = {
    "bot/understanding": _UNDERSTANDING,
    "bot/dialogue": ("test_conversation.py", "test_stories.py", "test_bad_input.py", "test_properties.py",
                     "test_test_gaps.py", "test_leads_and_outbox.py"),
    "bot/answers": ("test_facts.py", "test_knowledge_documents.py", "test_conversation.py", "test_stories.py",
                    "test_bad_input.py"),
    "bot/sales": ("test_leads_and_outbox.py", "test_test_gaps.py", "test_webhooks.py", "test_privacy.py",
                  "test_retention.py", "test_store.py", "test_conversation.py"),
    "bot/storage": ("test_store.py", "test_privacy.py", "test_retention.py", "test_leads_and_outbox.py",
                    "test_slack.py", "test_telegram.py"),
    "bot/evaluation": ("test_evaluation.py", "test_stories.py", "test_eval_html.py"),
    "bot": ("test_conversation.py", "test_bad_input.py", "test_leads_and_outbox.py", "test_store.py"),
    "adapters": ("test_slack.py", "test_telegram.py", "test_properties.py", "test_leads_and_outbox.py",
                 "test_logs.py"),
    "intents": _UNDERSTANDING,
    "knowledge": ("test_facts.py", "test_knowledge_documents.py", "test_ingest.py", "test_ingest_markdown.py"),
}
# Fixtures that start the installed `oncall-bot` in another process: the mutant is not in that process.
SUBPROCESS_FIXTURES = ("cli",)
PLUGIN = "_mutation_select"
PLUGIN_SOURCE = f'''"""Written by scripts/mutation.py: leave out tests that run `oncall-bot` in another process."""

import pytest

SUBPROCESS_FIXTURES = {set(SUBPROCESS_FIXTURES)!r}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    dropped = [item for item in items if SUBPROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
'''
DETECTED = ("killed", "timeout")
IGNORED = ("skipped",)


def group_of(path: str) -> str:
    return next((g for g in GROUPS if path == g or path.startswith(g + "/")), path)


def check_paths(paths: list[str]) -> list[str]:
    out = []
    for raw in paths:
        path = raw.strip("/").removeprefix("./")
        if not (ROOT / path).exists():
            sys.exit(f"mutation.py: no such file or directory: {raw}")
        if path.split("/")[0] not in PACKAGES or not (path.endswith(".py") or (ROOT / path).is_dir()):
            sys.exit(f"mutation.py: {raw} is not a Python file or folder in {', '.join(PACKAGES)}")
        out.append(path)
    return out


def tests_for(paths: list[str]) -> list[str]:
    """The union of the selections of the packages the paths are in, or contain ("bot": all of bot/)."""
    groups = [g for path in paths for g in (group_of(path), *(g for g in GROUPS if g.startswith(path + "/")))]
    chosen = dict.fromkeys(f"tests/{name}" for group in groups for name in TESTS.get(group, ()))
    return [test for test in chosen if (ROOT / test).exists()]


def copy_repository(into: Path) -> Path:
    repo = into / "repo"
    shutil.copytree(ROOT, repo, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "mutants", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "*.egg-info",
        "*.db", "*.db-wal", "*.db-shm", "setup.cfg"))
    # conftest.py finds the seed articles beside the repository (ROOT.parent / "shared"); mutmut runs the
    # tests inside repo/mutants, so that is repo/shared here.
    if (ROOT.parent / "shared").is_dir():
        (repo / "shared").symlink_to(ROOT.parent / "shared", target_is_directory=True)
    return repo


def write_config(repo: Path, paths: list[str], tests: list[str]) -> None:
    if re.search(r"^\[tool\.mutmut\]", (repo / "pyproject.toml").read_text(encoding="utf-8"), re.M):
        sys.exit("mutation.py: pyproject.toml has a [tool.mutmut] table, which mutmut reads instead of "
                 "setup.cfg; remove it or move its settings into this script")
    (repo / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    patterns = [path if path.endswith(".py") else path + "/*.py" for path in paths]

    def lines(values) -> str:
        return "".join(f"\n    {value}" for value in values)

    (repo / "setup.cfg").write_text(
        "# Written by scripts/mutation.py for this temporary copy only.\n"
        "[mutmut]\n"
        f"source_paths ={lines(PACKAGES)}\n"
        f"only_mutate ={lines(patterns)}\n"
        f"also_copy ={lines([*ALSO_COPY, PLUGIN + '.py'])}\n"
        # Fixed Hypothesis seed: a mutant is killed or not the same way on every run.
        f"pytest_add_cli_args ={lines(['-p', PLUGIN, '-p', 'no:cacheprovider', '--hypothesis-seed=0'])}\n"
        f"pytest_add_cli_args_test_selection ={lines(tests)}\n"
        "use_git_change_detection = false\n",
        encoding="utf-8")


def read_results(repo: Path, python: str) -> dict[str, Counter]:
    """Statuses per package, from `mutmut results --all true` ("    <module>.x_<function>__mutmut_<n>: killed")."""
    listing = subprocess.run([python, "-m", "mutmut", "results", "--all", "true"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout
    by_group: dict[str, Counter] = {}
    for line in listing.splitlines():
        found = re.match(r"^\s+(\S+): (.+)$", line)
        if not found:
            continue
        key, status = found.groups()
        module = next((key[:m.start()] for m in re.finditer(r"\.(?=x_|xǁ)", key)), key.rsplit(".", 1)[0])
        by_group.setdefault(group_of(module.replace(".", "/")), Counter())[status.strip()] += 1
    return by_group


def score(counts: Counter) -> float | None:
    tested = sum(counts.values()) - sum(counts[s] for s in IGNORED)
    return sum(counts[s] for s in DETECTED) / tested * 100 if tested else None


def report(by_group: dict[str, Counter]) -> str:
    header = f"{'package':<22}{'killed':>8}{'survived':>10}{'timeout':>9}{'no tests':>10}{'other':>7}{'total':>7}" \
             f"{'score':>8}"
    rows = [header, "-" * len(header)]
    everything = Counter()
    order = [g for g in GROUPS if g in by_group] + sorted(set(by_group) - set(GROUPS))
    for name, counts in [*((g, by_group[g]) for g in order), ("total", None)]:
        if counts is None:
            counts = everything
            rows.append("-" * len(header))
        else:
            everything.update(counts)
        total = sum(counts.values())
        other = total - counts["killed"] - counts["survived"] - counts["timeout"] - counts["no tests"]
        value = score(counts)
        rows.append(f"{GROUP_LABELS.get(name, name):<22}{counts['killed']:>8}{counts['survived']:>10}"
                    f"{counts['timeout']:>9}{counts['no tests']:>10}{other:>7}{total:>7}"
                    f"{'-' if value is None else f'{value:.1f}%':>8}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", nargs="+", metavar="PATH", default=list(DEFAULT_PATHS),
                        help="files or folders to mutate (default: bot/ packages and the adapters' delivery code)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2, metavar="N",
                        help="parallel mutant workers (default: the number of CPUs)")
    parser.add_argument("--tests", nargs="+", metavar="TEST",
                        help="test files to run instead of the per-package selection (paths under tests/)")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python with the project, pytest, hypothesis and mutmut installed (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (mutants/ and results)")
    parser.add_argument("--quiet", action="store_true", help="send mutmut's progress output to a log file")
    args = parser.parse_args(argv)

    paths = check_paths(args.paths)
    tests = args.tests or tests_for(paths)
    if subprocess.run([args.python, "-c", "import mutmut, hypothesis"], capture_output=True).returncode:
        sys.exit(f"mutation.py: {args.python} lacks mutmut or hypothesis: pip install mutmut hypothesis")
    workdir = Path(tempfile.mkdtemp(prefix="oncall-mutation-"))
    started = time.monotonic()
    try:
        repo = copy_repository(workdir)
        write_config(repo, paths, tests)
        print(f"mutating: {' '.join(paths)}\ntests:    {' '.join(tests)}\ncopy:     {repo}", flush=True)
        log = open(workdir / "mutmut.log", "w") if args.quiet else None  # noqa: SIM115 - closed below
        try:
            run = subprocess.run([args.python, "-m", "mutmut", "run", "--max-children", str(args.max_children)],
                                 cwd=repo, stdout=log, stderr=subprocess.STDOUT if log else None)
        finally:
            if log:
                log.close()
        if run.returncode != 0:
            print(f"\nmutmut run failed (exit {run.returncode})" + (f"; see {workdir / 'mutmut.log'}" if log else ""))
            args.keep = True
            return run.returncode
        by_group = read_results(repo, args.python)
        elapsed = time.monotonic() - started
        print()
        print(report(by_group) if by_group else "no mutants were made for these paths")
        print(f"\n{elapsed:.0f} s for {sum(sum(c.values()) for c in by_group.values())} mutants")
        survivors = subprocess.run([args.python, "-m", "mutmut", "results"], cwd=repo, capture_output=True,
                                   text=True).stdout.rstrip()
        if survivors.strip():
            print("\nnot killed (with --keep: `cd` to the copy, then `mutmut show NAME`):\n" + survivors)
        return 0
    finally:
        if args.keep:
            print(f"\nkept: {workdir / 'repo'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
