"""Lead webhooks follow Standard Webhooks: checked with the reference library and with the README's example."""

from __future__ import annotations

import base64
import json
import os
import re
import textwrap
import time

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from bot.sales.outbox import BACKOFF_BASE_S, Outbox
from bot.sales.webhook import WebhookSink, sign
from bot.storage.database import open_db

from conftest import ROOT
from receivers import Received, WebhookReceiver

WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()
TOLERANCE_S = 5 * 60


def queue(*lead_ids: str) -> Outbox:
    outbox = Outbox(open_db(":memory:"))
    for lead_id in lead_ids:
        outbox.enqueue(lead_id, "webhook", "lead", {"id": lead_id, "tier": "hot", "email": "jane@acme.example"})
    return outbox


def deliver_one(secret: str, clock=time.time) -> Received:
    """One lead through the outbox to a recording receiver (which checks nothing), as really sent."""
    with WebhookReceiver() as receiver:
        assert queue("L-ONE").deliver_due({"webhook": WebhookSink(receiver.url, secret, clock=clock)})["sent"] == 1
    [request] = receiver.requests
    return request


def readme_verify():
    """The `verify` function of the README's receiver example, run as a receiver would paste it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    [code] = [textwrap.dedent(body) for body in blocks if "def verify" in body]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


def test_whsec_secret_signs_with_its_decoded_key_and_the_reference_library_verifies_it():
    request = deliver_one(WHSEC)
    headers = request.headers
    assert headers["content-type"] == "application/json" and "x-oncall-signature" not in headers
    assert headers["webhook-id"] == "msg_L-ONE_lead" and headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert Webhook(WHSEC).verify(request.body, headers)["id"] == "L-ONE"
    with pytest.raises(WebhookVerificationError):  # a different whsec_ secret does not verify
        Webhook("whsec_" + base64.b64encode(bytes(32)).decode()).verify(request.body, headers)


def test_plain_secret_signs_with_its_utf8_bytes():
    request = deliver_one("s3cret")
    assert Webhook(b"s3cret").verify(request.body, request.headers)["tier"] == "hot"
    with pytest.raises(WebhookVerificationError):  # the library base64-decodes a str: plain secrets go as bytes
        Webhook("s3cret").verify(request.body, request.headers)
    # the same key written the spec's way signs identically
    headers = request.headers
    same = sign(WebhookSink.signing_key("whsec_" + base64.b64encode(b"s3cret").decode()), headers["webhook-id"],
                int(headers["webhook-timestamp"]), request.body)
    assert same == headers["webhook-signature"]


def test_webhook_id_is_the_same_on_every_retry_and_differs_between_leads():
    clock = [1_700_000_000.0]
    outbox = queue("L-AAA", "L-BBB")
    with WebhookReceiver(fail_first=4) as receiver:  # both leads fail twice, then go through
        sinks = {"webhook": WebhookSink(receiver.url, WHSEC, clock=lambda: clock[0])}
        now = time.time()
        for _ in range(3):
            outbox.deliver_due(sinks, now=now)
            now += BACKOFF_BASE_S * 4
            clock[0] += 3600
    assert [r.status for r in receiver.requests] == [503, 503, 503, 503, 200, 200]
    ids = {}
    for request in receiver.requests:
        ids.setdefault(json.loads(request.body)["id"], set()).add(request.headers["webhook-id"])
    assert ids == {"L-AAA": {"msg_L-AAA_lead"}, "L-BBB": {"msg_L-BBB_lead"}}
    # each attempt carries (and is signed with) its own time, not the time the row was queued
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert stamps == [1_700_000_000, 1_700_000_000, 1_700_003_600, 1_700_003_600, 1_700_007_200, 1_700_007_200]
    assert len({r.headers["webhook-signature"] for r in receiver.requests}) == 6


def test_a_retry_an_hour_later_is_signed_fresh_and_accepted():
    outbox = queue("L-LATE")
    clock = [time.time() - 3600]  # first attempt an hour ago, while the receiver was down
    with WebhookReceiver(fail_first=1, secret=WHSEC) as receiver:
        sinks = {"webhook": WebhookSink(receiver.url, WHSEC, clock=lambda: clock[0])}
        assert outbox.deliver_due(sinks)["retried"] == 1
        clock[0] = time.time()
        assert outbox.deliver_due(sinks, now=time.time() + BACKOFF_BASE_S)["sent"] == 1
    assert [r.verdict for r in receiver.requests] == ["failed", "accepted"]


def test_tampered_body_or_headers_and_stale_timestamps_are_rejected():
    request = deliver_one(WHSEC)
    verifier = Webhook(WHSEC)
    tampered = request.body.replace(b'"hot"', b'"cold"')
    assert tampered != request.body
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verifier.verify(tampered, request.headers)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):  # the id is signed too
        verifier.verify(request.body, request.headers | {"webhook-id": "msg_L-OTHER_lead"})
    with pytest.raises(WebhookVerificationError, match="No matching signature"):  # and so is the time
        verifier.verify(request.body, request.headers | {"webhook-timestamp": str(int(time.time()) + 1)})
    # signed more than the 5-minute tolerance ago: the receiver answers 401 and the outbox retries later
    outbox = queue("L-OLD")
    with WebhookReceiver(secret=WHSEC) as receiver:
        stale = WebhookSink(receiver.url, WHSEC, clock=lambda: time.time() - TOLERANCE_S - 30)
        assert outbox.deliver_due({"webhook": stale})["retried"] == 1
    [rejected] = receiver.requests
    assert (rejected.status, rejected.verdict) == (401, "rejected: Message timestamp too old")
    assert "HTTP 401" in outbox.rows()[0]["last_error"]


def test_a_replayed_request_is_detected_by_its_webhook_id():
    outbox = queue("L-RPL")
    with WebhookReceiver(secret=WHSEC) as receiver:
        assert outbox.deliver_due({"webhook": WebhookSink(receiver.url, WHSEC)})["sent"] == 1
        [original] = receiver.requests
        # an attacker (or a confused proxy) re-sends the recorded request within the tolerance
        replay = httpx.post(receiver.url, content=original.body, headers=original.headers, timeout=5)
        # changing the id to dodge the dedupe breaks the signature
        dodged = httpx.post(receiver.url, content=original.body,
                            headers=original.headers | {"webhook-id": "msg_L-FRESH_lead"}, timeout=5)
    assert replay.status_code == 200 and dodged.status_code == 401
    assert [r.verdict for r in receiver.requests] == ["accepted", "duplicate", "rejected: No matching signature found"]
    assert receiver.processed == [original]


def test_readme_verification_example_checks_a_real_signed_request():
    verify = readme_verify()
    for secret, other in ((WHSEC, "whsec_" + base64.b64encode(bytes(32)).decode()), ("s3cret", "s3cret!")):
        request = deliver_one(secret)
        assert verify(secret, request.headers, request.body)
        assert not verify(other, request.headers, request.body)
        assert not verify(secret, request.headers, request.body + b" ")
        assert not verify(secret, request.headers | {"webhook-id": "msg_L-OTHER_lead"}, request.body)
        assert not verify(secret, {k: v for k, v in request.headers.items() if k != "webhook-signature"}, request.body)
        stale = deliver_one(secret, clock=lambda: time.time() - TOLERANCE_S - 30)
        assert not verify(secret, stale.headers, stale.body)
        assert Webhook(WebhookSink.signing_key(secret)).verify(request.body, request.headers)  # agrees with the library


def test_message_ids_never_contain_the_signed_content_delimiter():
    assert WebhookSink.message_id("L-1A2B", "lead") == "msg_L-1A2B_lead"
    assert "." not in WebhookSink.message_id("lead.with.dots", "hand.off")


def test_a_malformed_whsec_secret_is_a_clear_error(monkeypatch):
    for bad in ("whsec_not base64!", "whsec_", ""):
        with pytest.raises(ValueError, match="secret"):
            WebhookSink("http://127.0.0.1:9/x", bad)
    assert WebhookSink.signing_key("whsec_" + base64.b64encode(b"key").decode().rstrip("=")) == b"key"  # unpadded
    monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_URL", "http://127.0.0.1:9/x")
    monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_SECRET", "whsec_%%%")
    with pytest.raises(SystemExit, match="ONCALL_LEAD_WEBHOOK_SECRET: a whsec_ webhook secret must be base64"):
        WebhookSink.from_env()
    monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_SECRET", "whsec_" + base64.b64encode(os.urandom(24)).decode())
    assert len(WebhookSink.from_env().key) == 24
