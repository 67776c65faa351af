"""Live calls (issue 11) through nginx with the test PBX: a call held in progress by the test PBX shows on /live
(and goes when it ends), the Server-Sent Events stream through nginx delivers the change within 1 s of the event,
streams beyond max(1, threads / 2) are refused with 503 and Retry-After (the page keeps working), the owner and
the integrator see the page, an anonymous visitor is sent to the login page. A call already in progress when the
daemon logs in comes from CoreShowChannels."""
import os
import json
import time

import pytest

from harness import Client, EventStream, Stack


def wait_for(pred, timeout=10.0, step=0.02, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


@pytest.fixture
def stack():
    s = Stack(threads=4).start()
    s.add_user("owner", "owner", "owner-password-1")
    s.add_user("inte", "integrator", "inte-password-1")
    yield s
    try:
        assert s.stop() in (0, None)
    finally:
        s.cleanup()


def logged_in(stack, user):
    c = Client(stack.port)
    assert c.login(user, stack.passwords[user]).status == 303
    return c


class Events(EventStream):
    """/live/events: each message the calls in progress."""

    def __init__(self, stack, client):
        super().__init__(stack, client, "/live/events")

    def calls(self, timeout=10.0):
        ev, data = self.next(timeout)
        assert ev == "calls"
        return json.loads(data)


def test_call_in_progress_on_page_and_stream(stack):
    owner = logged_in(stack, "owner")
    page = owner.get("/live")
    assert page.status == 200
    assert 'id="live-calls"' in page.body and '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page.body
    assert '<script src="/static/live.js" defer></script>' in page.body
    assert "connect-src 'self'" in page.header("Content-Security-Policy")
    # The event login is up (and has listed the channels) once the page says it is.
    wait_for(lambda: 'id="live-disconnected" hidden' in owner.get("/live").body, what="event login")

    s = Events(stack, owner)
    assert s.r.status == 200
    assert s.r.getheader("Content-Type").startswith("text/event-stream")
    assert s.r.getheader("X-Accel-Buffering") is None  # nginx takes it for itself, and does not buffer
    first = s.calls()
    assert first["calls"] == [] and first["connected"] is True

    t0 = time.monotonic()
    held = stack.pbx.control({"cmd": "emit_call", "caller": "201", "callee": "202", "hold": True})
    # The events of one call come as several changes: read until the call is up.
    while True:
        data = s.calls(timeout=1.0)
        if data["calls"] and data["calls"][0]["state"] == "up":
            break
    assert time.monotonic() - t0 < 1.0, "the update took more than 1 s"
    call = data["calls"][0]
    assert call["caller"]["number"] == "201" and call["callee"]["number"] == "202"
    assert call["kind"] == "internal" and data["active"] == 1 and data["peak"] >= 1

    body = owner.get("/live").body
    assert 'class="state-up"' in body and ">201<" in body and ">202<" in body

    t0 = time.monotonic()
    stack.pbx.control({"cmd": "end_call", "call": held["call"]})
    while s.calls(timeout=1.0)["calls"]:
        pass
    assert time.monotonic() - t0 < 1.0
    s.close()
    assert 'class="state-up"' not in owner.get("/live").body


def test_call_in_progress_before_login_comes_from_coreshowchannels(stack):
    owner = logged_in(stack, "owner")
    wait_for(lambda: 'id="live-disconnected" hidden' in owner.get("/live").body, what="event login")
    held = stack.pbx.control({"cmd": "emit_call", "caller": "203", "callee": "204", "answered": False,
                              "hold": True})
    wait_for(lambda: 'class="state-ringing"' in owner.get("/live").body, what="ringing call")
    # The event login drops and comes back: the table is rebuilt from CoreShowChannels.
    stack.pbx.control({"cmd": "kill_sessions"})
    wait_for(lambda: stack.pbx.control({"cmd": "counters"})["actions"].get("CoreShowChannels", 0) >= 2,
             what="a second CoreShowChannels")
    body = wait_for(lambda: (lambda b: 'class="state-ringing"' in b and 'id="live-disconnected" hidden' in b
                             and b)(owner.get("/live").body), what="rebuilt table")
    assert ">203<" in body and ">204<" in body
    stack.pbx.control({"cmd": "end_call", "call": held["call"]})
    wait_for(lambda: 'class="state-ringing"' not in owner.get("/live").body, what="call gone")


def test_stream_cap_gives_503(stack):
    owner = logged_in(stack, "owner")
    streams = [Events(stack, owner) for _ in range(2)]  # 4 threads: 2 streams at most
    for st in streams:
        assert st.r.status == 200
        st.calls()
    c = Client(stack.port)
    c.cookies = dict(owner.cookies)
    r = c.get("/live/events", headers={"Accept": "text/event-stream"})
    assert r.status == 503 and r.header("Retry-After") == "10"
    assert c.get("/live/events").status == 406  # not an EventSource: no 5-minute body
    assert owner.get("/live").status == 200  # pages are still served
    streams[0].close()
    # The closed stream's worker notices at its next write (at the latest the 15 s heartbeat); a change
    # makes it write at once.
    held = stack.pbx.control({"cmd": "emit_call", "caller": "201", "callee": "202", "hold": True})
    stack.pbx.control({"cmd": "end_call", "call": held["call"]})
    r3 = wait_for(lambda: (lambda e: e if e.r.status == 200 else e.close())(Events(stack, owner)), timeout=20,
                  what="a stream slot freed")
    r3.calls()
    r3.close()
    streams[1].close()


def test_roles(stack):
    for user in ("owner", "inte"):
        c = logged_in(stack, user)
        assert c.get("/live").status == 200
    anon = Client(stack.port)
    for path in ("/live", "/live/events"):
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/login")


def test_blind_transfer_as_the_real_asterisk_sent_it(stack):
    """Transcript 11c (a blind transfer on the real Asterisk 22: 285 calls 286, 286 transferred to 287) played by
    the test PBX to the daemon's event login, in three parts: the stream shows 285-286 up, then 285-287 up as the
    same call from the same start, each within 1 s, then nothing."""
    owner = logged_in(stack, "owner")
    wait_for(lambda: 'id="live-disconnected" hidden' in owner.get("/live").body, what="event login")
    path = os.path.join(os.path.dirname(__file__), "..", "unit", "support", "ami-transcripts",
                        "11c-blind-transfer.txt")
    with open(path) as f:
        raw = f.read().split("Asterisk Call Manager/11.0.0\n", 1)[1]
    events = [e.strip("\n") for e in raw.split("\n\n") if e.strip()]
    names = [e.split("\n", 1)[0] for e in events]
    transfer = names.index("Event: BlindTransfer")
    ending = names.index("Event: HangupRequest")

    def play(part):
        stack.pbx.control({"cmd": "raw", "data": "".join(e.replace("\n", "\r\n") + "\r\n\r\n" for e in part)})

    s = Events(stack, owner)
    assert s.calls()["calls"] == []

    def until(pred):
        t0 = time.monotonic()
        while True:
            data = s.calls(timeout=1.0)
            if pred(data["calls"]):
                assert time.monotonic() - t0 < 1.0, "the update took more than 1 s"
                return data["calls"]

    def up_with(callee):
        return lambda calls: len(calls) == 1 and calls[0]["state"] == "up" and \
            calls[0]["caller"]["number"] == "285" and calls[0]["callee"]["number"] == callee

    play(events[:transfer])
    first = until(up_with("286"))[0]
    play(events[transfer:ending])
    # The callee's number and state may reach the stream an update before its name (a later event of the same
    # burst): the call is done moving once both are there.
    moved = until(lambda calls: up_with("287")(calls) and calls[0]["callee"]["name"] == "Recibe")[0]
    assert moved["since"] == first["since"]
    play(events[ending:])
    until(lambda calls: calls == [])
    s.close()
