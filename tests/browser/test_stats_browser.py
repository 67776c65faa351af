"""Runs the statistics and dashboard flow in Chromium (playwright-core) against a real stack whose history and
aggregates are written straight into the database (the pages only read them), then checks the screenshots
exist. The expected counts are computed here from the same rows and handed to the flow."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402
import test_stats as data  # noqa: E402  (the integration test's history and its aggregates)

SHOTS = ("01-dashboard", "02-stats-30", "03-stats-7", "04-stats-90", "05-stats-es", "06-stats-narrow",
         "07-dashboard-narrow")


def test_stats_flow_in_chromium():
    s = Stack(extra_conf=data.EXTRA_CONF).start()
    try:
        s.add_user("tienda", "owner", "owner-pass-123")
        data.insert(s.db, data.ROWS)
        d = data.today()
        day = int(d.strftime("%Y%m%d"))
        today = [r for r in data.ROWS if r["day"] == day]
        want = {
            "today": len(today),
            "missed_today": sum(data.missed(r) for r in today),
            "month": sum(1 for r in data.ROWS if r["day"] // 100 == day // 100 and r["day"] <= day),
            "phones": 0,
            "calls7": len(data.period(7)[0]),
            "calls30": len(data.period(30)[0]),
            "calls90": len(data.period(90)[0]),
        }
        clear_shots("stats-")
        out = run_flow("stats.mjs", f"http://127.0.0.1:{s.port}", "tienda", "owner-pass-123", json.dumps(want))
        assert "browser stats flow: ok" in out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"stats-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
