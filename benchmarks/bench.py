"""Rerunnable performance benchmark for OnCall Assistant.

    python benchmarks/bench.py [--messages 20000] [--users 500]

Measures, in one run and on this machine:
  (a) in-process engine throughput: Engine.respond() (understanding + reply, no I/O) and
      Engine.handle() (the same plus loading and committing conversation state to SQLite per message),
      after a 3-second warm-up, median of --repeats timed passes (min and max printed too);
  (b) whole-process `oncall-bot replay` throughput: N messages from U users as JSON Lines through one
      process, persistence on (one committed SQLite transaction per message); median of --replay-runs;
  (c) cold start: a new `oncall-bot replay` process, from spawn to its first reply line, on an
      existing database (the knowledge base is built on first use; that first run is reported too).
Messages are the team's labelled evaluation texts, cycled, so the mix of intents is realistic.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.dialogue.state import ConversationState  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.storage.database import open_db  # noqa: E402
from bot.types import Message  # noqa: E402


def reference_loop_seconds() -> float:
    """A fixed pure-Python workload: how fast this machine is right now (shared machines drift by tens
    of percent from minute to minute), so runs from different moments can be compared."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return time.perf_counter() - started


def corpus() -> list[str]:
    texts = []
    for name in ("labelled.yaml", "holdout.yaml"):
        path = ROOT / "eval" / name
        if path.exists():
            texts += [str(case["text"]) for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return texts


def cli() -> list[str]:
    found = shutil.which("oncall-bot", path=str(Path(sys.executable).parent)) or shutil.which("oncall-bot")
    return [found] if found else [sys.executable, "-m", "adapters.cli"]


WARM_UP_S = 3.0


def in_process(texts: list[str], count: int, users: int, db_path: Path, repeats: int) -> dict[str, float]:
    """Steady-state rates: a few seconds of warm-up first (regexes compile on first use; on shared
    machines the CPU needs a moment to clock up), then `repeats` timed passes; the median is the
    figure, min and max show how noisy the machine was."""
    engine = Engine(open_db(db_path))
    messages = [Message(user=f"u{i % users}", text=texts[i % len(texts)]) for i in range(count)]
    state = ConversationState()
    warm_until = time.perf_counter() + WARM_UP_S
    while time.perf_counter() < warm_until:  # compiles regexes on first use and lets the CPU clock up
        for message in messages[:1_000]:
            engine.respond(message, state)

    def rate(run) -> float:
        started = time.perf_counter()
        for message in messages:
            run(message)
        return count / (time.perf_counter() - started)

    results = {}
    for name, run in (("respond", lambda m: engine.respond(m, state)), ("handle", engine.handle)):
        rates = sorted(rate(run) for _ in range(repeats))
        results |= {f"{name}_msgs_per_s": statistics.median(rates), f"{name}_min": rates[0], f"{name}_max": rates[-1]}
    return results


def replay(texts: list[str], count: int, users: int, db_dir: Path, repeats: int) -> dict[str, float]:
    """Whole-process runs (start-up included), each on a new database; median, min and max."""
    lines = "".join(
        json.dumps({"user": f"u{i % users}", "text": texts[i % len(texts)]}) + "\n" for i in range(count)
    ).encode()
    rates = []
    for run in range(repeats):
        started = time.perf_counter()
        result = subprocess.run([*cli(), "replay", "--db", str(db_dir / f"replay{run}.db")], input=lines,
                                capture_output=True, check=True)
        elapsed = time.perf_counter() - started
        replies = result.stdout.decode().splitlines()
        if len(replies) != count or any("error" in json.loads(r) for r in replies[:50]):
            raise SystemExit(f"replay answered {len(replies)} of {count} lines: {result.stderr.decode()[-500:]}")
        rates.append(count / elapsed)
    rates.sort()
    return {"replay_msgs_per_s": statistics.median(rates), "replay_min": rates[0], "replay_max": rates[-1]}


def first_reply_seconds(db_path: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([*cli(), "replay", "--db", str(db_path)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    process.stdin.write(b'{"user": "cold", "text": "what does a project manager do?"}\n')
    process.stdin.flush()
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.stdin.close()
    process.wait()
    if json.loads(line).get("intent") != "pm.role":
        raise SystemExit(f"unexpected first reply: {line[:200]!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5, help="timed in-process passes (median reported)")
    parser.add_argument("--replay-runs", type=int, default=3, help="whole-process replay runs (median reported)")
    args = parser.parse_args()
    texts = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        first_db = Path(tmp) / "first.db"
        first_run = first_reply_seconds(first_db)  # includes building the knowledge base
        cold = statistics.median(first_reply_seconds(first_db) for _ in range(args.cold_runs))
        results = {
            "cpu_count": os.cpu_count(),
            "reference_loop_s_before": reference_loop_seconds(),
            "messages": args.messages,
            "users": args.users,
            **in_process(texts, args.messages, args.users, Path(tmp) / "inproc.db", args.repeats),
            **replay(texts, args.messages, args.users, Path(tmp), args.replay_runs),
            "cold_start_first_reply_s": cold,
            "first_ever_start_with_kb_build_s": first_run,
            "reference_loop_s_after": reference_loop_seconds(),
        }
    for key, value in results.items():
        print(f"{key:34} {value:,.3f}" if isinstance(value, float) else f"{key:34} {value}")


if __name__ == "__main__":
    main()
