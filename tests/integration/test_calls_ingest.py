"""Call history intake (issue 11): Cdr events from the test PBX reach the calls table within a second, a
replayed event adds nothing, `centralita import-cdr` of a Master.csv holding the same call adds nothing (and
adds the calls only the file has), and a PBX that drops the event connection in the middle loses nothing it
sent once the daemon is logged in again.

Each test starts its own stack (daemon, nginx, test PBX). The test PBX writes times in this process's local
time and the daemon reads them in the same ([web] timezone left empty)."""
import os
import sqlite3
import time

import pytest

import testpbx
from harness import Stack


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
    s = Stack().start()
    yield s
    try:
        assert s.stop() in (0, None)
    finally:
        s.cleanup()


def query(stack, sql, args=()):
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def count(stack, sql="SELECT COUNT(*) FROM calls", args=()):
    return query(stack, sql, args)[0][0]


def a_call(caller="201", callee="202", start=None, **kw):
    """One call's events as Asterisk 22 sends them (testpbx.call_events), and its Cdr fields."""
    evs = testpbx.call_events(caller=caller, callee=callee, start=start, **kw)
    cdr = [f for name, f in evs if name == "Cdr"][0]
    return evs, cdr


def send_cdr(stack, cdr):
    """Sends one Cdr event; the number of sessions it reached (only the daemon's intake asks for cdr)."""
    return stack.pbx.control({"cmd": "event", "event": "Cdr", "fields": [list(f) for f in cdr]})["delivered"]


def send_call(stack, evs):
    """Sends a call's events, the Cdr last; how many sessions got the Cdr."""
    body = [{"event": n, "fields": [list(f) for f in fields]} for n, fields in evs if n != "Cdr"]
    stack.pbx.control({"cmd": "events", "events": body})
    return send_cdr(stack, [f for n, f in evs if n == "Cdr"][0])


def wait_stored(stack, n, timeout=1.0):
    """True once the history holds n calls (within timeout), else False."""
    end = time.monotonic() + timeout
    while count(stack) != n:
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def wait_logged_in(stack, probe_cdr):
    """Sends probe_cdr until a session takes it: the daemon's intake is logged in (the probe is stored once,
    however many times it is sent: that is the property under test too)."""
    return wait_for(lambda: send_cdr(stack, probe_cdr) >= 1, timeout=15, step=0.1, what="the Cdr session")


def csv_line(cdr):
    """A Master.csv record as cdr_csv's build_csv_record writes it: strings quoted (inner quotes doubled),
    numbers bare, an empty time as nothing at all."""
    f = dict(cdr)

    def q(s):
        return '"' + s.replace('"', '""') + '"'

    def t(s):
        return q(s) if s else ""
    cols = [q(f["AccountCode"]), q(f["Source"]), q(f["Destination"]), q(f["DestinationContext"]),
            q(f["CallerID"]), q(f["Channel"]), q(f["DestinationChannel"]), q(f["LastApplication"]),
            q(f["LastData"]), t(f["StartTime"]), t(f["AnswerTime"]), t(f["EndTime"]), f["Duration"],
            f["BillableSeconds"], q(f["Disposition"]), q(f["AMAFlags"])]
    return ",".join(cols) + "\n"


def test_a_call_is_stored_within_a_second_and_a_replay_adds_nothing(stack):
    _, probe = a_call("205", "206", start=time.time() - 3600)
    wait_logged_in(stack, probe)
    wait_for(lambda: count(stack) == 1, timeout=2, what="the probe call")
    evs, cdr = a_call("201", "202", duration=7)
    sent = time.monotonic()
    assert send_call(stack, evs) == 1
    wait_for(lambda: count(stack) == 2, timeout=5, what="the call in the table")
    took = time.monotonic() - sent
    assert took < 1.0, f"stored after {took:.2f} s"
    f = dict(cdr)
    row = query(stack, "SELECT src, dst, channel, dstchannel, duration, billsec, disposition, uniqueid, "
                       "answer_time > 0 FROM calls WHERE channel = ?", (f["Channel"],))
    assert row == [("201", "202", f["Channel"], f["DestinationChannel"], 7, 7, 0, f["UniqueID"], 1)]
    hours = count(stack, "SELECT SUM(calls) FROM calls_by_hour")
    assert hours == 2
    # The same record again (a replay, as after an Asterisk-side retry): nothing changes.
    for _ in range(3):
        assert send_cdr(stack, cdr) == 1
    assert send_call(stack, evs) == 1
    time.sleep(0.5)  # several batch periods
    assert count(stack) == 2
    assert count(stack, "SELECT SUM(calls) FROM calls_by_hour") == 2


def test_import_of_master_csv_adds_only_what_is_missing(stack):
    _, probe = a_call("205", "206", start=time.time() - 7200)
    wait_logged_in(stack, probe)
    evs, cdr = a_call("201", "202", duration=4)
    assert send_call(stack, evs) == 1
    wait_for(lambda: count(stack) == 2, timeout=5, what="the calls in the table")
    _, unanswered = a_call("203", "201", answered=False, duration=12, start=time.time() - 600)
    csv = os.path.join(stack.dir, "Master.csv")
    with open(csv, "w") as out:
        out.write(csv_line(probe) + csv_line(cdr) + csv_line(unanswered) + "not,a,record\n")
    r = stack.cli("import-cdr", csv)
    assert r.returncode == 0
    assert r.stdout.strip() == "4 lines, 1 new, 1 refused"
    assert "line 4:" in r.stderr
    assert count(stack) == 3
    assert query(stack, "SELECT disposition, answer_time, billsec FROM calls WHERE src = '203'") == [(1, 0, 0)]
    again = stack.cli("import-cdr", csv)
    assert again.stdout.strip() == "4 lines, 0 new, 1 refused"
    assert count(stack) == 3
    assert count(stack, "SELECT SUM(calls) FROM calls_by_hour") == 3
    # The same call arriving as an event after the import: still one row.
    assert send_cdr(stack, unanswered) == 1
    time.sleep(0.5)
    assert count(stack) == 3
    missing = stack.cli("import-cdr", os.path.join(stack.dir, "nope.csv"), check=False)
    assert missing.returncode == 1


def test_a_pbx_disconnect_loses_nothing_sent_after_reconnect(stack):
    _, probe = a_call("205", "206", start=time.time() - 3600)
    wait_logged_in(stack, probe)
    before = [a_call("201", "202", duration=d) for d in (1, 2, 3)]
    for evs, _ in before:
        assert send_call(stack, evs) == 1
    # Stored (a cut right after sending could drop events still in the socket: the PBX's close of a session
    # with unread data is a reset, which discards what the daemon had not read yet, as on a real network).
    wait_for(lambda: count(stack) == 4, timeout=5, what="the calls received before the cut")
    stack.pbx.control({"cmd": "kill_sessions"})
    # Back: the first call the daemon's session takes, and every one after it, is stored. "Taken" is "stored": a
    # session the cut is still closing may be handed the probe and never read it.
    _, first_after = a_call("202", "201", duration=5)
    wait_for(lambda: send_cdr(stack, first_after) >= 1 and wait_stored(stack, 5), timeout=15, step=0.1,
             what="the Cdr session back, its first call stored")
    after = [a_call("201", "203", duration=d) for d in (6, 7, 8, 9)]
    for evs, _ in after:
        assert send_call(stack, evs) == 1
    wait_for(lambda: count(stack) == 9, timeout=5, what="every call sent after the reconnect")
    time.sleep(0.3)
    assert count(stack) == 9
    assert count(stack, "SELECT SUM(calls) FROM calls_by_hour") == 9
    assert "call history: event connection lost" in stack.daemon_log_text()
