"""The real Asterisk stopped or frozen in the middle of a change (issue 7 section 2, issue 8).

Stopped (ctl.sh stop): the save is kept pending, the list says so, and once Asterisk is back the retry thread
([asterisk] retry_interval = 1) applies it. Frozen (kill -STOP: a hung PBX, not a stopped one): issue 8 wants
the answer within 2 s, still pending; today it waits for the AMI timeout ([ami] timeout = 5000 here). After
SIGCONT the change lands exactly once (an answer lost is re-checked, never replayed blindly)."""
import os
import signal
import time

import pytest

import asterisk as ast
from harness import Client
from test_phones import assert_on_asterisk, assert_once
from web import NOTES, OWNER, add_phone, status, wait_for

FROZEN_BOUND = 2.0   # issue 8: a web request never waits on the PBX longer than this


def test_asterisk_stopped_save_pending_then_applied_when_back(stack, owner):
    ast.stop()
    try:
        assert not ast.running()
        r, dt = add_phone(owner, "230", "While stopped", "yealink-t46u", "00:15:65:AC:02:30",
                          what="stopped: add 230")
        assert r.status == 303, r.body[:2000]
        assert r.header("Location") == "/phones?done=saved_pending", r.header("Location")
        assert dt < 5, f"a save took {dt:.1f} s while Asterisk was stopped"
        body = owner.get("/phones?done=saved_pending").body
        assert 'id="pending-summary"' in body
        state, text = status(owner, "230")
        assert state == "pending", (state, text)
        time.sleep(2.5)   # a few retries against the stopped Asterisk change nothing
        assert status(owner, "230")[0] == "pending"
    finally:
        ast.start()
    t0 = time.monotonic()
    wait_for(lambda: status(owner, "230")[0] != "pending", timeout=15, what="230 applied once Asterisk is back")
    NOTES.append(f"Asterisk stopped: save answered in {dt * 1000:.0f} ms, saved_pending; applied "
                 f"{time.monotonic() - t0:.1f} s after Asterisk was back (fully booted)")
    assert_on_asterisk("230", "While stopped")
    # Nothing left waiting once Asterisk is back (a verification running while Asterisk shut down may have
    # found its phones not loaded, and they are being re-applied: let those finish).
    wait_for(lambda: 'id="pending-summary"' not in owner.get("/phones").body, timeout=30,
             what="nothing pending once Asterisk is back")


@pytest.fixture(scope="module")
def frozen_save(stack):
    """Freezes Asterisk, saves phone 231, resumes Asterisk (always). Returns (response, seconds, list status)."""
    owner = Client(stack.port)
    assert owner.login(*OWNER).status == 303
    pid = ast.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        r, dt = add_phone(owner, "231", "While frozen", "yealink-t46u", "00:15:65:AC:02:31",
                          what="frozen: add 231")
        st = status(owner, "231")
        t0 = time.monotonic()
        page = owner.get("/phones")
        page_dt = time.monotonic() - t0
    finally:
        os.kill(pid, signal.SIGCONT)
    NOTES.append(f"Asterisk frozen (SIGSTOP): save answered in {dt:.2f} s, {r.status} {r.header('Location')}; "
                 f"list: {st[0] if st else None}: {st[1] if st else ''}; the list page in {page_dt * 1000:.0f} ms")
    return r, dt, st, page.status, page_dt


def test_asterisk_frozen_save_answers_within_2s_kept_pending(frozen_save):
    """Issue 8: a save waits for a hung Asterisk at most [asterisk] save_wait, then says so; pages never wait."""
    r, dt, st, page_status, page_dt = frozen_save
    assert r.status == 303
    assert dt <= FROZEN_BOUND, f"the save took {dt:.2f} s with Asterisk frozen (bound {FROZEN_BOUND} s)"
    assert r.header("Location") == "/phones?done=saved_slow", r.header("Location")
    assert st and st[0] == "pending", st
    assert page_status == 200 and page_dt < 0.5, (page_status, page_dt)


def test_asterisk_frozen_change_applied_once_after_cont(frozen_save, owner):
    r = frozen_save[0]
    assert r.status == 303 and r.header("Location") in ("/phones?done=saved_slow", "/phones?done=saved_pending",
                                                        "/phones?done=saved")
    t0 = time.monotonic()
    wait_for(lambda: status(owner, "231")[0] != "pending", timeout=15, what="231 applied after SIGCONT")
    NOTES.append(f"after SIGCONT: 231 applied within {time.monotonic() - t0:.1f} s, its sections once")
    assert_on_asterisk("231", "While frozen")
    # Exactly once: the request Asterisk found in its socket after SIGCONT and the retry did not both create it
    # (assert_on_asterisk checks `pjsip show endpoints/aors/auths`, the dialplan and Centralita's files).
    assert_once("231")
