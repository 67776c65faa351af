"""Runs the call history flow in Chromium (playwright-core) against a real stack whose history is written straight
into the database (the page only reads it): the owner filters, pages, sorts, meets an inline error and downloads
the CSV export; then checks the screenshots exist."""
import os
import sqlite3
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

ZONE = ZoneInfo("Europe/Madrid")
SHOTS = ("01-history", "02-filtered", "03-older", "04-sorted", "05-bad-filter")


def history():
    """60 calls on 12 March 2026 (Madrid), every 10 minutes from 08:00: inbound to 201 or 202 from outside,
    every third unanswered, every fifth busy; one caller's name is a spreadsheet formula."""
    rows = []
    for i in range(60):
        start = int(datetime(2026, 3, 12, 8, 0, tzinfo=ZONE).timestamp()) + i * 600
        disposition = 2 if i % 5 == 4 else 1 if i % 3 == 2 else 0
        duration = 5 + i * 7
        ext = "201" if i % 2 == 0 else "202"
        name = "=SUM(1+1)" if i == 7 else ["Ana Pérez", "Bodega Ruiz", "Carmen"][i % 3]
        rows.append((i + 1, f"k{i + 1}", start, start + 4 if disposition == 0 else 0, start + duration, duration,
                     max(0, duration - 4) if disposition == 0 else 0, f"6000000{i:02d}", ext, name,
                     f"6000000{i:02d}", "from-trunk", "PJSIP/trunk-acme-1", f"PJSIP/{ext}-1", "Dial", f"u{i + 1}",
                     disposition, 1, "", ext, 20260312, 8 + i // 6, 3))
    return rows


def test_calls_flow_in_chromium():
    s = Stack(extra_conf="[web]\ntimezone = Europe/Madrid\n").start()
    try:
        s.add_user("tienda", "owner", "owner-pass-123")
        with sqlite3.connect(s.db) as db:
            db.executemany("INSERT INTO calls (id, key, start_time, answer_time, end_time, duration, billsec, src,"
                           " dst, clid_name, clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition,"
                           " direction, from_ext, to_ext, day, hour, dow) VALUES"
                           " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", history())
        clear_shots("calls-")
        out = run_flow("calls.mjs", f"http://127.0.0.1:{s.port}", "tienda", "owner-pass-123")
        assert "browser calls flow: ok" in out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"calls-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
