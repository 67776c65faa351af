"""The statistics page (GET /stats) and the home page's dashboard tiles, through a real nginx and the real daemon:
the page renders its three SVG charts (each an image with a title, and a table of the same numbers) and the
right numbers for 7, 30 and 90 days; a period outside the allow-list is refused (400) before anything is read;
owners and integrators may see it, nobody else; the dashboard counts today's and this month's calls, today's missed
calls, the phones registered out of the phones, the trunks up (integrators only), and the PBX's version and uptime,
or says the PBX is not answering when it is not, without waiting on it (250 ms at most).

The history is written straight into the calls table, relative to today in the configured zone
(Europe/Madrid), and the aggregates are rebuilt from it with the direct GROUP BY the unit tests check
calls_insert's aggregates against (tests/unit/test_db_calls.c): so every number expected here is computed from the
same rows, independently of the page."""
import html
import random
import re
import sqlite3
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import INTEGRATOR, OWNER
from harness import Client, Stack

ZONE_NAME = "Europe/Madrid"
ZONE = ZoneInfo(ZONE_NAME)
EXTRA_CONF = f"[web]\ntimezone = {ZONE_NAME}\n"
PHONES = ["201", "202", "203"]


def today():
    return datetime.now(ZONE).date()


def make_rows():
    """About 600 calls over the last 100 days (some today), internal, inbound and outbound, every disposition."""
    rng = random.Random(2026)
    now = datetime.now(ZONE)
    rows = []
    for i in range(600):
        back = 0 if i < 25 else rng.randrange(0, 100)
        day = (now - timedelta(days=back)).date()
        # Today's calls before now (the page counts what happened, whatever the time of the test).
        secs = rng.randrange(0, max(1, now.hour * 3600 + now.minute * 60)) if back == 0 else rng.randrange(86400)
        start_local = datetime(day.year, day.month, day.day, tzinfo=ZONE) + timedelta(seconds=secs)
        start = int(start_local.timestamp())
        direction = rng.randrange(3)
        disposition = rng.choice([0, 0, 0, 1, 2, 3])
        a, b = rng.choice(PHONES), rng.choice(PHONES)
        if direction == 0:
            from_ext, to_ext = a, b
        elif direction == 1:
            from_ext, to_ext = "", b
        else:
            from_ext, to_ext = a, ""
        duration = rng.randrange(0, 900)
        billsec = max(0, duration - 7) if disposition == 0 else 0
        t = datetime.fromtimestamp(start, ZONE)
        rows.append(dict(id=i + 1, start=start, duration=duration, billsec=billsec, direction=direction,
                         disposition=disposition, from_ext=from_ext, to_ext=to_ext,
                         day=int(t.strftime("%Y%m%d")), hour=t.hour, dow=t.weekday()))
    return rows


ROWS = make_rows()


def insert(db_path, rows):
    con = sqlite3.connect(db_path, timeout=10)
    for r in rows:
        con.execute(
            "INSERT INTO calls (id, key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name,"
            " clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext,"
            " day, hour, dow) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, '', '', 'internal', 'PJSIP/x-1', '', 'Dial', '',"
            " ?, ?, ?, ?, ?, ?, ?)",
            (r["id"], f"key-{r['id']}", r["start"], r["start"] + r["duration"], r["duration"], r["billsec"],
             r["from_ext"] or "600111222", r["to_ext"] or "912000111", r["disposition"], r["direction"],
             r["from_ext"], r["to_ext"], r["day"], r["hour"], r["dow"]))
    # The aggregates as calls_insert keeps them (the same GROUP BY as the unit tests' check).
    con.execute("DELETE FROM calls_by_hour")
    con.execute("DELETE FROM calls_by_ext")
    con.execute(
        "INSERT INTO calls_by_hour (day, hour, dow, calls, answered, missed, talk_seconds)"
        " SELECT day, hour, dow, COUNT(*), SUM(disposition = 0), SUM(disposition <> 0 AND (to_ext <> '' OR"
        " direction = 1)), SUM(billsec) FROM calls GROUP BY day, hour")
    con.execute(
        "INSERT INTO calls_by_ext (ext, day, made, received, missed, talk_seconds)"
        " SELECT ext, day, SUM(made), SUM(received), SUM(missed), SUM(talk) FROM ("
        "  SELECT from_ext AS ext, day, 1 AS made, CASE WHEN to_ext = from_ext THEN disposition = 0 ELSE 0 END"
        "  AS received, CASE WHEN to_ext = from_ext THEN disposition <> 0 ELSE 0 END AS missed, billsec AS talk"
        "  FROM calls WHERE from_ext <> ''"
        "  UNION ALL SELECT to_ext, day, 0, disposition = 0, disposition <> 0, billsec FROM calls"
        "  WHERE to_ext <> '' AND to_ext <> from_ext) GROUP BY ext, day")
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def stack():
    s = Stack(extra_conf=EXTRA_CONF).start()
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    s.add_user(OWNER[0], "owner", OWNER[1])
    insert(s.db, ROWS)
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0


@pytest.fixture(scope="module")
def owner(stack):
    c = Client(stack.port)
    assert c.login(*OWNER).status == 303
    return c


@pytest.fixture(scope="module")
def integrator(stack):
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    return c


# ---------------------------------------------------------------- what the numbers must be

def missed(r):
    return r["disposition"] != 0 and (r["to_ext"] != "" or r["direction"] == 1)


def period(days):
    last = today()
    first = last - timedelta(days=days - 1)
    lo, hi = int(first.strftime("%Y%m%d")), int(last.strftime("%Y%m%d"))
    return [r for r in ROWS if lo <= r["day"] <= hi], first, last


def hms(s):
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def cells(row_html):
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html)]


def table(body, ident):
    m = re.search(r'<table[^>]*id="%s"[^>]*>(.*?)</table>' % ident, body, re.S)
    assert m, f"no table {ident}"
    return [cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S) if "<td" in r]


def by_id(body, ident):
    m = re.search(r'id="%s"[^>]*>([^<]*)<' % ident, body)
    assert m, f"no element {ident}"
    return html.unescape(m.group(1)).strip()


# ---------------------------------------------------------------- the statistics page

@pytest.mark.parametrize("days", [7, 30, 90])
def test_the_page_shows_the_right_numbers(owner, days):
    r = owner.get(f"/stats?days={days}")
    assert r.status == 200, r.body[:500]
    body = r.body
    rows, first, last = period(days)
    assert f"{first.isoformat()} – {last.isoformat()}" in body
    assert by_id(body, "total-calls") == str(len(rows))
    assert by_id(body, "total-answered") == str(sum(r["disposition"] == 0 for r in rows))
    assert by_id(body, "total-missed") == str(sum(missed(r) for r in rows))
    talk = sum(r["billsec"] for r in rows)
    answered = sum(r["disposition"] == 0 for r in rows)
    assert by_id(body, "total-talk") == hms(talk)
    assert by_id(body, "avg-talk") == hms((talk + answered // 2) // answered if answered else 0)

    # Calls per day: one row per day of the period, days without calls included.
    got = table(body, "days-table")
    assert len(got) == days
    for i, cols in enumerate(got):
        day = first + timedelta(days=i)
        mine = [r for r in rows if r["day"] == int(day.strftime("%Y%m%d"))]
        assert cols[0] == day.isoformat()
        assert cols[1:4] == [str(len(mine)), str(sum(r["disposition"] == 0 for r in mine)),
                             str(sum(missed(r) for r in mine))], day
    # ... and one bar group per day in the chart, carrying the same numbers.
    bars = re.findall(r'<g class="bar" data-date="([^"]+)" data-answered="(\d+)" data-missed="(\d+)"', body)
    assert [(d, int(a), int(m)) for d, a, m in bars] == [(c[0], int(c[2]), int(c[3])) for c in got]

    # Per extension over the period.
    want = []
    for e in sorted({r["from_ext"] for r in rows} | {r["to_ext"] for r in rows} - {""}):
        if not e:
            continue
        mine = [r for r in rows if e in (r["from_ext"], r["to_ext"])]
        want.append([e, str(sum(r["from_ext"] == e for r in mine)),
                     str(sum(r["to_ext"] == e and r["disposition"] == 0 for r in mine)),
                     str(sum(r["to_ext"] == e and r["disposition"] != 0 for r in mine)),
                     hms(sum(r["billsec"] for r in mine))])
    assert table(body, "ext-table") == want

    # Calls by hour of the day, averaged per day of the period (one decimal).
    hours = table(body, "hours-table")
    assert len(hours) == 24
    for h, cols in enumerate(hours):
        assert cols == [f"{h}:00", "%.1f" % (sum(r["hour"] == h for r in rows) / days)]


def test_the_heat_map_covers_four_weeks(owner):
    body = owner.get("/stats").body
    rows, first, last = period(28)
    grid = [[0] * 24 for _ in range(7)]
    for r in rows:
        grid[r["dow"]][r["hour"]] += 1
    got = table(body, "week-table")
    assert [[int(x) for x in row] for row in got] == grid
    assert by_id(body, "heat-max") == str(max(max(row) for row in grid))
    # The busiest cell takes the darkest shade, an empty one the "none" shade.
    fills = re.findall(r'<rect class="cell"[^>]*fill="(#[0-9a-f]{6})" data-calls="(\d+)"', body)
    assert len(fills) == 7 * 24
    top = max(max(row) for row in grid)
    assert {f for f, n in fills if int(n) == top} == {"#08519c"}
    assert {f for f, n in fills if int(n) == 0} <= {"#edf0f3"}


def test_every_chart_is_an_image_with_a_title_and_a_table(owner):
    body = owner.get("/stats?days=30").body
    svgs = re.findall(r'<svg viewBox="[^"]+" role="img" aria-labelledby="([^"]+)"[^>]*>\s*<title id="([^"]+)">'
                      r'([^<]+)</title>', body)
    assert len(svgs) == 3
    for labelled, title_id, title in svgs:
        assert labelled == title_id and title.strip()
    assert body.count("<details>") == 3
    # The page says what "channel use" measures.
    assert "not calls in progress at once" in body
    # No script of its own: the charts are the server's.
    assert "<script" not in body.split("</head>", 1)[1]


def test_the_page_speaks_spanish(stack):
    c = Client(stack.port, accept_language="es")
    assert c.login(*OWNER).status == 303
    body = c.get("/stats?days=7").body
    assert "Llamadas por día" in body and "Horas de más actividad de la semana" in body
    assert "Uso de canales a lo largo del día" in body and "Por extensión" in body
    assert ">lun<" in body


@pytest.mark.parametrize("query", ["days=8", "days=0", "days=-7", "days=abc", "days=7&days=30", "days=30%00",
                                   "days=%2030", "days=300"])
def test_a_period_outside_the_allow_list_is_refused(owner, query):
    r = owner.get("/stats?" + query)
    assert r.status == 400
    assert "<svg" not in r.body


def test_both_roles_may_see_it_and_nobody_else(stack, owner, integrator):
    assert owner.get("/stats").status == 200
    assert integrator.get("/stats").status == 200
    anon = Client(stack.port)
    r = anon.get("/stats")
    assert r.status == 303 and "/login" in r.header("Location")


# ---------------------------------------------------------------- the dashboard

def test_the_dashboard_counts_calls(owner):
    d = today()
    rows_today = [r for r in ROWS if r["day"] == int(d.strftime("%Y%m%d"))]
    month = [r for r in ROWS if r["day"] // 100 == int(d.strftime("%Y%m")) and r["day"] <= int(d.strftime("%Y%m%d"))]
    body = owner.get("/").body
    assert by_id(body, "calls-today") == str(len(rows_today))
    assert by_id(body, "missed-today") == str(sum(missed(r) for r in rows_today))
    assert by_id(body, "calls-month") == str(len(month))
    # Each tile leads to its page.
    for tile, href in (("tile-calls-today", f"/calls?from={d.isoformat()}&amp;to={d.isoformat()}"),
                       ("tile-calls-month", "/stats"), ("tile-registered", "/phones"), ("tile-live", "/live")):
        assert re.search(r'id="%s" href="%s"' % (tile, re.escape(href)), body), tile
    # The home page keeps what it had.
    assert 'id="phone-count"' in body and 'id="user-count"' in body


def test_the_dashboard_shows_phones_registered_and_the_pbx(stack, owner, integrator):
    for ext in PHONES:
        r = integrator.post("/phones", {"_csrf": integrator.csrf(), "extension": ext, "name": f"Phone {ext}",
                                        "model": "yealink-t46u", "mac": f"00:15:65:00:02:{int(ext) % 100:02d}"})
        assert r.status == 303, r.body[:300]
    # The PBX says two of them are registered.
    for ext in PHONES[:2]:
        deadline = time.monotonic() + 10
        while True:
            reply = stack.pbx.control({"cmd": "set_contacts", "endpoint": ext,
                                       "contacts": [f"sip:{ext}@192.0.2.{ext[-1]}:5060"]})
            if reply.get("ok"):
                break
            assert time.monotonic() < deadline, reply
            time.sleep(0.1)
    deadline = time.monotonic() + 10
    while True:
        body = owner.get("/").body
        if by_id(body, "registered-count") == "2":
            break
        assert time.monotonic() < deadline, by_id(body, "registered-count")
        time.sleep(0.1)
    assert by_id(body, "registered-total") == "3"
    assert by_id(body, "pbx-version") == "22.10.1"
    assert 'id="pbx-uptime"' in body
    assert 'id="tile-trunks"' not in body          # trunks are the integrator's
    ib = integrator.get("/").body
    assert by_id(ib, "trunks-up") == "0" and by_id(ib, "trunks-total") == "0"


def test_a_pbx_that_does_not_answer_is_said_so_without_waiting():
    s = Stack(extra_conf=EXTRA_CONF, pbx_running=False).start()
    try:
        s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
        c = Client(s.port)
        assert c.login(*INTEGRATOR).status == 303
        t0 = time.monotonic()
        r = c.get("/")
        took = time.monotonic() - t0
        assert r.status == 200
        assert 'id="pbx-not-answering"' in r.body
        assert 'id="trunks-unknown"' in r.body
        assert took < 1.0, took                     # 250 ms at most (page_home.c HOME_PBX_WAIT_MS), plus the page
        assert by_id(r.body, "calls-today") == "0"
    finally:
        assert s.stop() in (0, None)
        s.cleanup()
