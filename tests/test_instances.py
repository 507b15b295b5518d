"""Several instances on one PostgreSQL database, as a platform runs them: two `oncall-bot serve` web
processes (Slack over HTTP, each with a sales-channel worker and a webhook worker) and one
`oncall-bot telegram` polling worker, all real processes against the local fakes.

What must hold: a Slack event delivered to both web processes at once is answered once; two messages of
one talent request handled by the two processes at once lose no field; and leads and their
notifications are neither lost nor duplicated when any process is killed with SIGKILL mid-stream.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pg
import psycopg
import pytest
from test_channel_processes import free_port, start, stop, wait_until_serving

from fakes.slack_api import FakeSlackAPI
from fakes.telegram_api import FakeTelegramAPI
from receivers import WebhookReceiver
from slack_harness import sign

TOKEN = "123456789:TEST-TOKEN-for-offline-tests"
SALES = "CSALES"
SURNAMES = ["Abbott", "Baker", "Castillo", "Dunn", "Ellis", "Flores", "Garner", "Hughes", "Ingram", "Jensen",
            "Keller", "Lowe", "Moreno", "Nash", "Ortiz", "Porter", "Quinn", "Reyes", "Sutton", "Tate", "Underwood",
            "Vance", "Walsh", "Xiong", "Young", "Zamora", "Barker", "Curry", "Daly", "Estes"]
REQUEST = ["I need a full-time project manager asap", "Acme {n}", "Jane {surname}", "jane{n}@acme{n}.com",
           "skip", "skip", "skip", "yes"]


class Cluster:
    def __init__(self, tmp_path, url: str, slack: FakeSlackAPI, telegram: FakeTelegramAPI, hook: WebhookReceiver):
        self.tmp_path, self.url = tmp_path, url
        self.env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret",
                    "SLACK_API_BASE_URL": slack.base_url, "ONCALL_SALES_CHANNEL": SALES,
                    "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url,
                    "ONCALL_LEAD_WEBHOOK_URL": hook.url, "ONCALL_LEAD_WEBHOOK_SECRET": "whsec-test-secret"}
        self.ports = [free_port(), free_port()]
        self.web: list[subprocess.Popen | None] = [None, None]
        self.worker: subprocess.Popen | None = None

    def start_web(self, index: int) -> None:
        self.web[index] = start(["--db", self.url, "serve", "--host", "127.0.0.1", "--port", str(self.ports[index])],
                                self.env, self.tmp_path)
        wait_until_serving(self.ports[index], self.web[index])

    def start_worker(self) -> None:
        self.worker = start(["--db", self.url, "telegram"], self.env, self.tmp_path)

    def kill(self, process: subprocess.Popen) -> None:
        process.kill()
        process.wait()

    def stop_all(self) -> None:
        for process in [*self.web, self.worker]:
            if process is not None and process.poll() is None:
                stop(process)

    def post(self, index: int, body: str, retry: int = 0) -> httpx.Response:
        now = int(time.time())
        headers = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now, "secret"),
                   "Content-Type": "application/json"}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        return httpx.post(f"http://127.0.0.1:{self.ports[index]}/slack/events", content=body, headers=headers,
                          timeout=10)

    def deliver(self, body: str, first: int) -> None:
        """As Slack does: retry (on the other instance, as a load balancer would) until one answers 200."""
        for attempt in range(12):
            index = (first + attempt) % 2
            try:
                if self.post(index, body, retry=attempt).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"no instance took {body[:80]}")

    def scalar(self, sql: str, *params):
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params or None).fetchone()[0]


def dm_event(channel: str, user: str, text: str, ts: str, event_id: str) -> str:
    return json.dumps({"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": {
        "type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text, "ts": ts}})


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def cluster(tmp_path, pg_url):
    url = pg.create_database(pg.admin_url())
    with FakeSlackAPI() as slack, FakeTelegramAPI(token=TOKEN) as telegram, \
            WebhookReceiver(secret="whsec-test-secret") as hook:
        group = Cluster(tmp_path, url, slack, telegram, hook)
        group.slack, group.telegram, group.hook = slack, telegram, hook
        try:
            group.start_web(0)
            group.start_web(1)
            group.start_worker()
            telegram.wait_for("setMyCommands", timeout=30)
            yield group
        finally:
            group.stop_all()
    pg.drop_database(pg.admin_url(), url)


def posts_to(slack: FakeSlackAPI, channel: str) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.accepted and c.params.get("channel") == channel]


def test_instances_share_one_store_without_double_answers_lost_fields_or_lost_leads(cluster):
    slack, telegram, hook = cluster.slack, cluster.telegram, cluster.hook

    # 1. The same event delivered to both instances at once, 100 times: one answer each.
    races = 100
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(races):
            body = dm_event(f"DRACE{n:03d}", f"URACE{n}", "what does an ops manager do", f"1700000000.{n:06d}",
                            f"EvRace{n}")
            barrier = threading.Barrier(2)

            def send(index: int, body: str = body, barrier: threading.Barrier = barrier) -> int:
                barrier.wait()
                return cluster.post(index, body).status_code

            assert sorted(pool.map(send, (0, 1))) == [200, 200]
    wait_for(lambda: cluster.scalar("select count(*) from replies where status = 'sent' and conversation like "
                                    "'slack:T1:DRACE%'") == races, "the race replies")
    answered = [len(posts_to(slack, f"DRACE{n:03d}")) for n in range(races)]
    assert answered == [1] * races, f"answered twice: {sum(a > 1 for a in answered)} of {races}"

    # 2. Two answers of one talent request handled by the two instances at once: no field lost.
    forms = 30
    for n in range(forms):
        cluster.deliver(dm_event(f"DFORM{n:02d}", f"UFORM{n}", "I need a full-time project manager asap",
                                 f"1700001000.{n:06d}", f"EvFormStart{n}"), first=n % 2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(forms):
            barrier = threading.Barrier(2)
            company = dm_event(f"DFORM{n:02d}", f"UFORM{n}", f"our company is Acme {n}", f"1700002000.{n:06d}",
                               f"EvFormCompany{n}")
            name = dm_event(f"DFORM{n:02d}", f"UFORM{n}", f"my name is Jane {SURNAMES[n]}", f"1700002001.{n:06d}",
                            f"EvFormName{n}")

            def send(pair: tuple[int, str], barrier: threading.Barrier = barrier) -> int:
                barrier.wait()
                return cluster.post(*pair).status_code

            assert sorted(pool.map(send, ((0, company), (1, name)))) == [200, 200]
    lost = []
    for n in range(forms):
        state = json.loads(cluster.scalar("select state from conversations where key = %s", f"slack:T1:DFORM{n:02d}"))
        fields = state["form"]["fields"]
        if (fields.get("company"), fields.get("name")) != (f"Acme {n}", f"Jane {SURNAMES[n]}"):
            lost.append((n, fields.get("company"), fields.get("name")))
    assert lost == [], f"{len(lost)} of {forms} forms lost or mixed a field: {lost[:3]}"

    # 3. Whole talent requests on Slack (either instance) and Telegram (the worker), with SIGKILLs.
    people = 10
    rng = random.Random(7)
    for n in range(people):  # Telegram users type all their answers; the worker gets them in order
        for line in REQUEST:
            telegram.enqueue_message(5000 + n, line.format(n=100 + n, surname=SURNAMES[n]), user_id=5000 + n)
    kills = 0
    for step, line in enumerate(REQUEST):
        for n in range(people):
            text = line.format(n=200 + n, surname=SURNAMES[n])
            cluster.deliver(dm_event(f"DLEAD{n:02d}", f"ULEAD{n}", text, f"1700003{step:03d}.{n:06d}",
                                     f"EvLead{step}-{n}"), first=rng.randrange(2))
        if step in (2, 5, 7):  # kill -9 the Telegram worker and one web instance, mid-stream
            cluster.kill(cluster.worker)
            victim = rng.randrange(2)
            cluster.kill(cluster.web[victim])
            kills += 2
            cluster.start_worker()
            cluster.start_web(victim)
    expected = 2 * people
    wait_for(lambda: cluster.scalar("select count(*) from leads") >= expected, "every lead filed", timeout=90)
    wait_for(lambda: cluster.scalar("select count(*) from outbox where status = 'sent' and kind = 'lead'")
             == 2 * expected, "every lead notification sent", timeout=90)
    assert cluster.scalar("select count(*) from leads") == expected  # none duplicated
    assert cluster.scalar("select count(distinct conversation) from leads") == expected  # one per person
    assert cluster.scalar("select count(*) from outbox") == 2 * expected  # webhook + Slack card for each
    cards = [re.search(r"L-[0-9A-F]{10}", c.params["text"]).group(0) for c in posts_to(slack, SALES)
             if " lead L-" in c.params.get("text", "")]
    assert len(cards) == expected and len(set(cards)) == expected, "a lead card posted twice or missing"
    assert len({r.headers["webhook-id"] for r in hook.processed}) == expected
    assert kills == 6
