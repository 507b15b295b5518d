"""Storage benchmark: the engine on SQLite next to PostgreSQL, with one and with several writers.

    python benchmarks/storage.py [--messages 4000] [--writers 1,4]

For each backend and writer count, in one run on this machine:
  - throughput: W writer processes, each with its own Engine and store connection, handle
    --messages / W messages each (a committed turn per message: delivery key, conversation lock, state,
    queued reply) from their own users; messages per second = all messages / the wall time from the
    moment every writer is ready to the moment the last one is done;
  - turn latency: every `Engine.handle` call timed inside the writers; p50 and p99 over all of them;
  - `oncall-bot replay` throughput: the whole command, start-up included, one process.
The PostgreSQL figures use a throwaway database created (and dropped) on the server the tests use
(ONCALL_TEST_PG, default the local cluster; tests/pg.py starts it if needed). Messages are the labelled
evaluation texts, cycled.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench import cli, corpus  # noqa: E402

from bot.engine import Engine  # noqa: E402
from bot.storage.database import open_db  # noqa: E402
from bot.types import Message  # noqa: E402


def writer(location: str, texts: list[str], start: int, count: int, users: int, ready, go, out) -> None:
    engine = Engine(open_db(location))
    messages = [Message(user=f"w{start}-u{i % users}", text=texts[(start + i) % len(texts)], channel="bench")
                for i in range(count)]
    ready.release()
    go.wait()
    latencies = []
    for i, message in enumerate(messages):
        began = time.perf_counter()
        engine.handle(message, delivery_keys=(f"bench:{start}:{i}",), reply_to={"chat": "bench"})
        latencies.append(time.perf_counter() - began)
    out.put((time.perf_counter(), latencies))


def run_writers(location: str, texts: list[str], total: int, writers: int, users: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    ready, go, out = context.Semaphore(0), context.Event(), context.Queue()
    per = total // writers
    processes = [context.Process(target=writer, args=(location, texts, w * per, per, users, ready, go, out))
                 for w in range(writers)]
    for process in processes:
        process.start()
    for _ in processes:
        if not ready.acquire(timeout=120):
            for process in processes:
                process.kill()
            raise SystemExit("a writer did not start (see its error above)")
    started = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    finished = max(done for done, _ in results)
    latencies = sorted(x for _, lat in results for x in lat)
    return {"msgs_per_s": per * writers / (finished - started),
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def replay_rate(location: str, texts: list[str], count: int) -> float:
    lines = "".join(json.dumps({"user": f"r{i % 200}", "text": texts[i % len(texts)]}) + "\n"
                    for i in range(count)).encode()
    started = time.perf_counter()
    done = subprocess.run([*cli(), "--db", location, "replay"], input=lines, capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    if len(done.stdout.splitlines()) != count:
        raise SystemExit(f"replay answered {len(done.stdout.splitlines())} of {count}: {done.stderr[-400:]!r}")
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--writers", default="1,4", help="writer counts to measure, comma-separated")
    parser.add_argument("--users", type=int, default=100, help="users per writer")
    args = parser.parse_args()
    import pg

    texts = corpus()
    database = pg.create_database(pg.ensure_server())
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in ("sqlite", "postgresql"):
                for writers in (int(w) for w in args.writers.split(",")):
                    if backend == "sqlite":
                        location = str(Path(tmp) / f"bench-{writers}.db")
                    else:
                        location = database
                        open_db(location).close()
                        pg.empty(location)
                    figures = run_writers(location, texts, args.messages, writers, args.users)
                    rows.append((backend, writers, figures))
                location = str(Path(tmp) / "replay.db") if backend == "sqlite" else database
                rows.append((backend, "replay", {"msgs_per_s": replay_rate(location, texts, args.messages)}))
    finally:
        pg.drop_database(pg.admin_url(), database)
    print(f"cpu_count {os.cpu_count()}, {args.messages} messages per measurement")
    print(f"{'backend':11} {'writers':>7} {'msgs/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for backend, writers, figures in rows:
        p50 = f"{figures['p50_ms']:8.2f}" if "p50_ms" in figures else f"{'-':>8}"
        p99 = f"{figures['p99_ms']:8.2f}" if "p99_ms" in figures else f"{'-':>8}"
        print(f"{backend:11} {writers!s:>7} {figures['msgs_per_s']:9,.0f} {p50} {p99}")


if __name__ == "__main__":
    main()
