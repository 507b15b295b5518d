"""How long one turn takes on hostile pastes (about 100,000 characters each), outside and inside a talent
request, through `Engine.handle` on an in-memory store: a regular expression that restarts at every character
shows here as seconds.

    python benchmarks/hostile_input.py

Prints each shape's time and the slowest; exits 1 if any turn took longer than --limit seconds (default 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.engine import Engine  # noqa: E402 - after the path is set
from bot.storage.database import open_db  # noqa: E402
from bot.types import Message  # noqa: E402

SHAPES = {
    "a@ repeated": "a@" * 50_000, "1. repeated": "1." * 50_000, "what … ?": "what " * 20_000 + "?",
    "a, repeated": "a, " * 30_000, "x… then @y": "x" * 100_000 + "@y", "digits": "1" * 100_000,
    "digits and spaces": "1 2 " * 25_000, "sentences": "aA. " * 25_000, "and and": "and " * 25_000,
    "role words": "pm ops " * 15_000, "quotes": "'" * 100_000, "dashes": "- " * 50_000,
    "dotted @": "a.b@c." * 20_000, "a long name": "my name is " + "Jo " * 30_000,
    "ends in @": "a" * 100_000 + "@",
}
FORM_START = ("I need a PM full time asap", "Acme")  # then the paste answers "your name?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=1.0, help="seconds a turn may take (default 1)")
    args = parser.parse_args()
    engine = Engine(open_db(":memory:"))
    worst = 0.0
    print(f"{'shape':20} {'alone s':>9} {'in form s':>10}")
    for name, text in SHAPES.items():
        times = []
        for in_form in (False, True):
            user = f"{name}:{in_form}"
            for said in FORM_START if in_form else ():
                engine.handle(Message(user=user, text=said))
            started = time.perf_counter()
            engine.handle(Message(user=user, text=text))
            times.append(time.perf_counter() - started)
        worst = max(worst, *times)
        print(f"{name:20} {times[0]:9.3f} {times[1]:10.3f}")
    print(f"slowest turn: {worst:.3f} s")
    return 1 if worst > args.limit else 0


if __name__ == "__main__":
    sys.exit(main())
