"""The call history page (GET /calls) and its CSV export (GET /calls.csv) through a real nginx and the real daemon:
every filter alone and combined, day boundaries in the configured time zone (Europe/Madrid, with a daylight-saving
day), the sort allow-list (anything else refused with 422, nothing built from it), cursors that were tampered with,
keyset pages that give every row once in both directions, the export equal to the filtered set with formula cells
neutralised, and who may see it.

The module runs its own stack with [web] timezone = Europe/Madrid, and writes its history straight into the
`calls` table (as the ingestion would store it), so that the expected answer of every query can be computed here
from the same rows."""
import csv
import io
import random
import re
import sqlite3
import urllib.parse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import INTEGRATOR, OWNER
from harness import Client, Stack

ZONE_NAME = "Europe/Madrid"
ZONE = ZoneInfo(ZONE_NAME)
EXTRA_CONF = f"[web]\ntimezone = {ZONE_NAME}\n"
DIRECTIONS = ["internal", "inbound", "outbound"]            # enum call_direction
DISPOSITIONS = ["answered", "no_answer", "busy", "failed"]   # enum call_disposition
CDR_DISPOSITIONS = ["ANSWERED", "NO ANSWER", "BUSY", "FAILED"]
PHONES = ["201", "202", "203", "2044"]
FORMULAS = {  # caller ID names a spreadsheet would run, and what the export must say instead
    "=HYPERLINK(\"http://evil.example/\",\"click\")": "'=HYPERLINK(\"http://evil.example/\",\"click\")",
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1+1)": "'@SUM(1+1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
}


def local(y, mo, d, h=0, mi=0, s=0):
    """Unix seconds of a wall-clock time in the configured zone."""
    return int(datetime(y, mo, d, h, mi, s, tzinfo=ZONE).timestamp())


def make_rows():
    """The module's history: hand-placed rows at the day boundaries, rows with formula and odd caller IDs, and a
    deterministic random bulk spread over March 2026."""
    rng = random.Random(11)
    rows = []

    def add(start, **kw):
        r = dict(start=start, duration=65, billsec=59, src="600111222", dst="912000111", clid_name="", clid_num="",
                 direction=1, disposition=0, from_ext="", to_ext="201", channel="PJSIP/trunk-acme-00000001",
                 dstchannel="PJSIP/201-00000002", uniqueid=f"1700000000.{len(rows) + 1}")
        r.update(kw)
        rows.append(r)

    # Day boundaries: the last second of 10 March and the first of 11 March in Madrid (both 10 March in UTC).
    add(local(2026, 3, 10, 23, 59, 59), clid_name="Late Night", src="611000001", clid_num="611000001")
    add(local(2026, 3, 11, 0, 0, 0), clid_name="Early Bird", src="611000002", clid_num="611000002")
    # 29 March 2026 has 23 hours in Madrid (clocks go forward at 02:00): its last half hour and the next day's first.
    add(local(2026, 3, 29, 23, 30), clid_name="Summer Eve", src="611000003", clid_num="611000003")
    add(local(2026, 3, 30, 0, 10), clid_name="Summer Morning", src="611000004", clid_num="611000004")
    add(local(2026, 3, 29, 1, 30), clid_name="Before The Jump", src="611000005", clid_num="611000005")
    # Caller IDs a spreadsheet would take for formulas, and text needing CSV quoting.
    for i, name in enumerate(FORMULAS):
        add(local(2026, 3, 12, 9, i), clid_name=name, src=f"62200000{i}", clid_num=f"62200000{i}")
    add(local(2026, 3, 12, 10, 0), clid_name="Núñez, José \"Pepe\"", src="+34600111222", clid_num="+34600111222")
    add(local(2026, 3, 12, 10, 1), clid_name="<script>alert(1)</script>", src="anonymous", clid_num="")
    add(local(2026, 3, 12, 10, 2), clid_name="Zoë 电话", src="633 444 555", clid_num="633 444 555")
    # Internal and outbound calls from the phones.
    add(local(2026, 3, 13, 11, 0), direction=0, from_ext="202", to_ext="203", src="202", dst="203",
        clid_name="Recepción", clid_num="202", disposition=1, duration=20, billsec=0)
    add(local(2026, 3, 13, 11, 5), direction=2, from_ext="2044", to_ext="", src="2044", dst="0034911222333",
        clid_name="Almacén", clid_num="2044", disposition=2, duration=3, billsec=0)
    # The bulk; some with the same start second (the id breaks the tie) and the same duration.
    base = local(2026, 3, 1)
    for i in range(150):
        direction = rng.randrange(3)
        disposition = rng.randrange(4)
        duration = rng.choice([0, 5, 30, 30, 60, 61, 125, 600, 3601])
        start = base + rng.randrange(0, 31 * 86400) if i % 10 else base + 86400 * 5 + 3600 * 12
        phone_a, phone_b = rng.choice(PHONES), rng.choice(PHONES)
        outside = f"6{rng.randrange(10**7, 10**8)}"
        if direction == 0:
            kw = dict(src=phone_a, dst=phone_b, from_ext=phone_a, to_ext=phone_b, clid_num=phone_a)
        elif direction == 1:
            kw = dict(src=outside, dst=phone_b, from_ext="", to_ext=phone_b, clid_num=outside)
        else:
            kw = dict(src=phone_a, dst="0" + outside, from_ext=phone_a, to_ext="", clid_num=phone_a)
        add(start, direction=direction, disposition=disposition, duration=duration,
            billsec=max(0, duration - 5) if disposition == 0 else 0,
            clid_name=rng.choice(["", "Ana", "Bernardo", "Carmen López", "ana maría"]), **kw)
    for i, r in enumerate(rows):
        r["id"] = i + 1
        r["answer"] = r["start"] + 6 if r["disposition"] == 0 else 0
        r["end"] = r["start"] + r["duration"]
    return rows


ROWS = make_rows()


def insert(db_path, rows):
    con = sqlite3.connect(db_path)
    for r in rows:
        t = datetime.fromtimestamp(r["start"], ZONE)
        con.execute(
            "INSERT INTO calls (id, key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name,"
            " clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext,"
            " day, hour, dow) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'internal', ?, ?, 'Dial', ?, ?, ?, ?, ?, ?, ?,"
            " ?)",
            (r["id"], f"key-{r['id']}", r["start"], r["answer"], r["end"], r["duration"], r["billsec"], r["src"],
             r["dst"], r["clid_name"], r["clid_num"], r["channel"], r["dstchannel"], r["uniqueid"], r["disposition"],
             r["direction"], r["from_ext"], r["to_ext"], int(t.strftime("%Y%m%d")), t.hour, t.weekday()))
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


# ---------------------------------------------------------------- what the answer must be

def day_start(date):
    y, m, d = map(int, date.split("-"))
    return int(datetime(y, m, d, tzinfo=ZONE).timestamp())


def matches(r, q):
    if q.get("from") and r["start"] < day_start(q["from"]):
        return False
    if q.get("to"):
        y, m, d = map(int, q["to"].split("-"))
        end = int((datetime(y, m, d, tzinfo=ZONE) + timedelta(days=1)).timestamp())   # wall-clock + 1 day
        if r["start"] >= end:
            return False
    if q.get("ext") and q["ext"] not in (r["from_ext"], r["to_ext"]):
        return False
    if q.get("direction") and DIRECTIONS[r["direction"]] != q["direction"]:
        return False
    if q.get("disposition") and DISPOSITIONS[r["disposition"]] != q["disposition"]:
        return False
    if q.get("min_duration") and r["duration"] < int(q["min_duration"]):
        return False
    if q.get("q"):
        t = q["q"].lower()   # SQLite's LIKE: ASCII letters in either case
        if not any(t in r[k].lower() for k in ("clid_name", "clid_num", "src", "dst")):
            return False
    return True


SORT_KEY = {"start": "start", "duration": "duration", "src": "src", "dst": "dst"}


def expected(q, sort="start", order="desc"):
    rows = [r for r in ROWS if matches(r, q)]
    key = SORT_KEY[sort]
    # Text sorts compare bytes (SQLite's BINARY collation): the UTF-8 bytes order as the code points do.
    rows.sort(key=lambda r: (r[key], r["id"]), reverse=order == "desc")
    return [r["id"] for r in rows]


# ---------------------------------------------------------------- reading the page

def url(path, **params):
    params = {k: v for k, v in params.items() if v is not None}
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def page_ids(body):
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', body)]


def link(body, ident):
    m = re.search(r'<a href="([^"]*)" id="%s"' % ident, body)
    return m.group(1).replace("&amp;", "&") if m else None


def total(body):
    m = re.search(r'id="calls-total" data-total="(\d+)"', body)
    return int(m.group(1)) if m else None


def walk(client, start_url, direction="older"):
    """Follows the pager from start_url; returns (ids in the order shown, pages seen, the last page's url)."""
    ids, pages, seen_urls, u = [], 0, set(), start_url
    while u:
        assert u not in seen_urls, "the pager went round in a circle"
        seen_urls.add(u)
        r = client.get(u)
        assert r.status == 200, (u, r.body[:2000])
        ids.extend(page_ids(r.body))
        pages += 1
        last, u = u, link(r.body, direction)
        assert pages < 1000
    return ids, pages, last


def walk_all(client, q, sort=None, order=None, per=200):
    ids, _, _ = walk(client, url("/calls", **q, sort=sort, order=order, per=per))
    return ids


def error_texts(body):
    return re.findall(r'<span class="field-error" role="alert">([^<]*)</span>', body)


# ---------------------------------------------------------------- who may see it

def test_owner_and_integrator_see_the_history_and_the_nav_link(owner, integrator):
    for c in (owner, integrator):
        r = c.get("/calls")
        assert r.status == 200
        assert "<h1>Call history</h1>" in r.body
        assert re.search(r'<a href="/calls" aria-current="page">Calls</a>', r.body)
        assert c.get("/").body.count('<a href="/calls"') == 1
        assert c.get("/calls.csv").status == 200


def test_anonymous_is_sent_to_login(stack):
    c = Client(stack.port)
    for path in ("/calls", "/calls.csv", "/calls?direction=inbound"):
        r = c.get(path)
        assert r.status == 303
        assert r.header("Location").startswith("/login")
        assert "Núñez" not in r.body and "data-id" not in r.body
    assert c.get("/calls").header("Location") == "/login?next=/calls"


def test_spanish_words(stack):
    c = Client(stack.port, accept_language="es-ES,es;q=0.9")
    assert c.login(*OWNER).status == 303
    r = c.get("/calls?direction=inbound")
    assert "Historial de llamadas" in r.body and ">Llamadas</a>" in r.body
    assert "Entrante" in r.body


# ---------------------------------------------------------------- the default view and the rows

def test_newest_first_with_total(owner):
    r = owner.get("/calls")
    assert r.status == 200
    assert total(r.body) == len(ROWS)
    assert page_ids(r.body) == expected({})[:50]
    assert link(r.body, "older") and not link(r.body, "newer")
    assert ">Older calls →<" in r.body


def test_row_shows_local_time_parties_and_durations(owner):
    r = owner.get(url("/calls", q="Late Night"))
    assert page_ids(r.body) == [1]
    row = re.search(r'<tr data-id="1".*?</tr>', r.body, re.S).group(0)
    assert ">2026-03-10 23:59:59<" in row          # Madrid's wall clock, not UTC's 22:59:59
    assert 'datetime="2026-03-10T23:59:59+0100"' in row
    assert "Late Night" in row and "611000001" in row
    assert "912000111" in row and "(ext. 201)" in row   # the number dialled, and the phone that took it
    assert ">Inbound<" in row and ">Answered<" in row
    assert '<td class="duration">1:05</td>' in row and '<td class="talk">0:59</td>' in row
    r = owner.get(url("/calls", ext="2044", direction="outbound", disposition="busy", q="Almac"))
    row = re.search(r'<tr data-id="(\d+)".*?</tr>', r.body, re.S).group(0)
    assert "Almacén" in row and "2044" in row and "0034911222333" in row and ">Busy<" in row
    assert "(ext." not in row                      # the caller's number is the phone's extension: said once
    assert '<td class="duration">0:03</td>' in row
    r = owner.get(url("/calls", min_duration=3601))
    assert '<td class="duration">60:01</td>' in r.body


def test_caller_id_is_escaped(owner):
    r = owner.get(url("/calls", q="script"))
    assert "<script>alert(1)" not in r.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.body


# ---------------------------------------------------------------- filters

SINGLE_FILTERS = (
    [{"ext": e} for e in PHONES + ["999"]] +
    [{"direction": d} for d in DIRECTIONS] +
    [{"disposition": d} for d in DISPOSITIONS] +
    [{"min_duration": n} for n in ("0", "30", "61", "3601", "86400")] +
    [{"q": t} for t in ("ana", "ANA", "López", "6110000", "+34", "%", "_", "Pepe", "nobody-has-this")] +
    [{"from": "2026-03-20"}, {"to": "2026-03-05"}, {"from": "2026-03-12", "to": "2026-03-12"}]
)


@pytest.mark.parametrize("q", SINGLE_FILTERS, ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items()))
def test_each_filter_alone(owner, q):
    want = expected(q)
    r = owner.get(url("/calls", **q))
    assert r.status == 200, r.body[:1000]
    assert total(r.body) == len(want)
    assert walk_all(owner, q) == want
    if not want:
        assert 'id="no-calls"' in r.body


COMBINED = [
    {"ext": "202", "direction": "internal"},
    {"direction": "inbound", "disposition": "no_answer", "min_duration": "30"},
    {"from": "2026-03-05", "to": "2026-03-20", "ext": "203", "disposition": "answered"},
    {"from": "2026-03-01", "to": "2026-03-31", "direction": "outbound", "q": "2044", "min_duration": "5"},
    {"q": "ana", "disposition": "answered", "to": "2026-03-15"},
]


@pytest.mark.parametrize("q", COMBINED, ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items()))
def test_filters_combined(owner, q):
    want = expected(q)
    assert want, "a combination with no answer proves little"
    r = owner.get(url("/calls", **q))
    assert total(r.body) == len(want)
    assert walk_all(owner, q) == want
    for sort in ("duration", "src"):
        assert walk_all(owner, q, sort=sort, order="asc") == expected(q, sort, "asc")


def test_day_boundaries_in_the_configured_zone(owner):
    # 23:59:59 and 00:00:00 Madrid are both 10 March in UTC: a filter in UTC days would put both in the 10th.
    assert walk_all(owner, {"from": "2026-03-10", "to": "2026-03-10", "q": "611000"}) == [1]
    assert walk_all(owner, {"from": "2026-03-11", "to": "2026-03-11", "q": "611000"}) == [2]
    assert walk_all(owner, {"to": "2026-03-10", "q": "611000"}) == [1]
    assert walk_all(owner, {"from": "2026-03-11", "q": "611000"}) == [4, 3, 5, 2]
    # 29 March has 23 hours: "to 29 March" takes in its last half hour (21:30 UTC), not the next day's 00:10.
    assert walk_all(owner, {"from": "2026-03-29", "to": "2026-03-29", "q": "611000"}) == [3, 5]
    assert walk_all(owner, {"from": "2026-03-30", "to": "2026-03-30", "q": "611000"}) == [4]
    # A day's history equals the rows whose Madrid date is that day, for every day of the month.
    for day in range(1, 32):
        d = f"2026-03-{day:02d}"
        want = [r["id"] for r in sorted(ROWS, key=lambda r: (r["start"], r["id"]), reverse=True)
                if datetime.fromtimestamp(r["start"], ZONE).strftime("%Y-%m-%d") == d]
        assert walk_all(owner, {"from": d, "to": d}) == want, d


@pytest.mark.parametrize("q,field,message", [
    ({"from": "2026-02-30"}, "from", "Enter a date as YYYY-MM-DD."),
    ({"from": "10/03/2026"}, "from", "Enter a date as YYYY-MM-DD."),
    ({"to": "2025-02-29"}, "to", "Enter a date as YYYY-MM-DD."),
    ({"to": "1960-01-01"}, "to", "Enter a date as YYYY-MM-DD."),
    ({"from": "2026-03-12", "to": "2026-03-11"}, "to", "The end date is before the start date."),
    ({"ext": "20a"}, "ext", "An extension has digits only."),
    ({"ext": "1234567890123456"}, "ext", "An extension has at most 15 digits."),
    ({"direction": "sideways"}, "direction", "Choose one of the options."),
    ({"disposition": "ANSWERED"}, "disposition", "Choose one of the options."),
    ({"min_duration": "-5"}, "min_duration", "Enter a whole number of seconds."),
    ({"min_duration": "86401"}, "min_duration", "Between 0 and 86400 seconds."),
    ({"q": "x" * 64}, "q", "At most 63 characters."),
    ({"q": "ñ" * 40}, "q", "Too long: at most 63 bytes (fewer characters with accents or in non-Latin scripts)."),
    ({"q": "a\nb"}, "q", "Line breaks and control characters are not allowed."),
    ({"order": "random"}, "order", "Choose one of the options."),
    ({"per": "5"}, "per", "Between 10 and 200 calls per page."),
])
def test_invalid_values_get_a_message_per_field(owner, q, field, message):
    for path in ("/calls", "/calls.csv"):
        r = owner.get(url(path, **q))
        assert r.status == 422, (path, q)
        assert "text/html" in r.header("Content-Type")
        assert message in error_texts(r.body), (q, error_texts(r.body))
        assert "<tr data-id" not in r.body
    # The form shows back what was typed.
    r = owner.get(url("/calls", **q))
    if field not in ("direction", "disposition", "order", "per") and "\n" not in q[field]:
        assert f'value="{q[field]}"' in r.body


def test_several_wrong_fields_each_get_their_message(owner):
    r = owner.get(url("/calls", **{"from": "yesterday", "ext": "x", "min_duration": "long"}))
    assert r.status == 422
    assert error_texts(r.body) == ["Enter a date as YYYY-MM-DD.", "An extension has digits only.",
                                   "Enter a whole number of seconds."]


# ---------------------------------------------------------------- sorting

@pytest.mark.parametrize("sort", ["start", "duration", "src", "dst"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_allow_list(owner, sort, order):
    assert walk_all(owner, {}, sort=sort, order=order) == expected({}, sort, order)


@pytest.mark.parametrize("sort", ["start;DROP TABLE calls", "start DESC", "id", "clid_name", "START", "start_time",
                                  "1", "(SELECT 1)", "duration,id", ""])
def test_sort_outside_the_allow_list_is_refused(stack, owner, sort):
    for path in ("/calls", "/calls.csv"):
        r = owner.get(url(path, sort=sort))
        if sort == "":
            assert r.status == 200   # no sort: the default
            continue
        assert r.status == 422, sort
        assert "Calls can only be sorted by time, duration, caller or called number." in r.body
        assert "<tr data-id" not in r.body
    con = sqlite3.connect(stack.db)
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == len(ROWS)
    con.close()


def test_sort_links_in_the_headers(owner):
    r = owner.get(url("/calls", direction="inbound", sort="duration"))
    assert 'aria-sort="descending"' in r.body
    href = re.search(r'<a href="([^"]*)" data-sort="duration"', r.body).group(1).replace("&amp;", "&")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(href).query) == {
        "direction": ["inbound"], "sort": ["duration"], "order": ["asc"]}
    r2 = owner.get(href)
    assert 'aria-sort="ascending"' in r2.body
    assert page_ids(r2.body) == expected({"direction": "inbound"}, "duration", "asc")[:50]


# ---------------------------------------------------------------- pages

@pytest.mark.parametrize("sort,order,q", [
    ("start", "desc", {}),
    ("start", "asc", {}),
    ("duration", "desc", {}),
    ("src", "asc", {}),
    ("dst", "desc", {"direction": "outbound"}),
    ("start", "desc", {"ext": "202"}),
    ("duration", "asc", {"min_duration": "30", "disposition": "answered"}),
])
def test_walking_every_page_gives_every_row_once(owner, sort, order, q):
    want = expected(q, sort, order)
    first = url("/calls", **q, sort=sort, order=order, per=10)
    ids, pages, last = walk(owner, first, "older")
    assert ids == want
    assert len(ids) == len(set(ids))
    assert pages == max(1, -(-len(want) // 10))
    # And back, from the last page to the first, with the "newer" links: the same pages in reverse.
    back_pages, u = [], last
    while u:
        r = owner.get(u)
        back_pages.append(page_ids(r.body))
        u = link(r.body, "newer")
    assert [i for p in reversed(back_pages) for i in p] == want
    assert all(len(p) == 10 for p in back_pages[1:])


def test_pages_carry_the_filters_and_a_cursor(owner):
    r = owner.get(url("/calls", direction="inbound", per=10))
    older = link(r.body, "older")
    qs = urllib.parse.parse_qs(urllib.parse.urlparse(older).query)
    assert qs["direction"] == ["inbound"] and qs["per"] == ["10"]
    assert re.fullmatch(r"\d+~\d+", qs["after"][0])
    assert "offset" not in older.lower() and "page=" not in older
    r2 = owner.get(older)
    assert total(r2.body) == total(r.body)
    assert link(r2.body, "first") == "/calls?direction=inbound&per=10"


def test_text_cursor_with_odd_characters_round_trips(owner):
    # src values with spaces, '+' and non-ASCII: the cursor is percent-encoded in the link.
    ids, _, _ = walk(owner, url("/calls", sort="src", order="asc", per=10, q="6"))
    assert ids == expected({"q": "6"}, "src", "asc")
    ids, _, _ = walk(owner, url("/calls", sort="src", order="desc", per=10))
    assert ids == expected({}, "src", "desc")


@pytest.mark.parametrize("params", [
    {"after": "garbage"},
    {"after": "1773183599"},                  # no id
    {"after": "1773183599~"},
    {"after": "1773183599~0"},
    {"after": "1773183599~-4"},
    {"after": "1773183599~1 OR 1=1"},
    {"after": "abc~5"},                       # text where the start time is a number
    {"after": "1773183599;DROP TABLE calls~5"},
    {"after": "1~99999999999999999999999"},
    {"before": "x~"},
    {"after": "1~1", "before": "1~1"},
    {"after": "1" * 200 + "~1"},
    {"after": "12~3", "sort": "duration", "before": "x"},
])
def test_tampered_cursor_is_refused(stack, owner, params):
    r = owner.get(url("/calls", **params))
    assert r.status == 422, params
    assert "This page link is not valid (it may have been altered). Start again from the first page." in r.body
    assert "<tr data-id" not in r.body
    con = sqlite3.connect(stack.db)
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == len(ROWS)
    con.close()


def test_well_formed_cursor_only_moves_the_start(owner):
    # A cursor is a position, not a permission: any well-formed one starts the page after that position.
    want = expected({})
    row = next(r for r in ROWS if r["id"] == want[20])
    r = owner.get(url("/calls", after=f"{row['start']}~{row['id']}", per=10))
    assert r.status == 200
    assert page_ids(r.body) == want[21:31]


def test_unknown_parameters_are_ignored_and_duplicates_refused(owner):
    assert owner.get("/calls?offset=100&limit=5").status == 200
    r = owner.get("/calls?ext=201&ext=202")
    assert r.status == 422
    assert "This field was sent more than once." in r.body


# ---------------------------------------------------------------- the export

def read_csv(resp):
    assert resp.status == 200, resp.body[:1000]
    assert resp.header("Content-Type") == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="calls-\d{4}-\d{2}-\d{2}\.csv"', resp.header("Content-Disposition"))
    assert resp.body.startswith("\ufeff")   # UTF-8 byte order mark, for spreadsheets
    body = resp.body[1:]
    assert body.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(body, newline="")))


HEADER = ["start", "answer", "end", "direction", "disposition", "from_name", "from_number", "from_extension",
          "to_number", "to_extension", "duration_seconds", "talk_seconds", "channel", "destination_channel",
          "uniqueid"]


def fmt(t):
    return datetime.fromtimestamp(t, ZONE).strftime("%Y-%m-%d %H:%M:%S") if t else ""


def neutral(s):
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def expected_csv_row(r):
    return {
        "start": fmt(r["start"]), "answer": fmt(r["answer"]), "end": fmt(r["end"]),
        "direction": DIRECTIONS[r["direction"]], "disposition": CDR_DISPOSITIONS[r["disposition"]],
        "from_name": neutral(r["clid_name"]), "from_number": neutral(r["clid_num"] or r["src"]),
        "from_extension": r["from_ext"], "to_number": neutral(r["dst"]), "to_extension": r["to_ext"],
        "duration_seconds": str(r["duration"]), "talk_seconds": str(r["billsec"]), "channel": r["channel"],
        "destination_channel": r["dstchannel"], "uniqueid": r["uniqueid"],
    }


BY_ID = {r["id"]: r for r in ROWS}


@pytest.mark.parametrize("q,sort,order", [
    ({}, None, None),
    ({"direction": "inbound", "disposition": "answered"}, "duration", "asc"),
    ({"from": "2026-03-10", "to": "2026-03-12"}, "src", "desc"),
    ({"ext": "2044", "min_duration": "30"}, None, None),
    ({"q": "nobody-has-this"}, None, None),
])
def test_export_equals_the_filtered_set(owner, integrator, q, sort, order):
    for c in (owner, integrator):
        r = c.get(url("/calls.csv", **q, sort=sort, order=order))
        rows = read_csv(r)
        header = r.body[1:].split("\r\n", 1)[0]
        assert header == ",".join(HEADER)
        want = expected(q, sort or "start", order or "desc")
        assert rows == [expected_csv_row(BY_ID[i]) for i in want]


def test_export_neutralises_formula_cells(owner):
    rows = read_csv(owner.get(url("/calls.csv", q="62200000")))
    names = {r["from_name"] for r in rows}
    assert names == set(FORMULAS.values())
    for row in rows:
        for cell in row.values():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    rows = read_csv(owner.get(url("/calls.csv", q="+34")))
    assert [r["from_name"] for r in rows] == ["Núñez, José \"Pepe\""]
    assert rows[0]["from_number"] == "'+34600111222"
    # The raw bytes: the classic payload is quoted, its quotes doubled, the neutralising quote inside.
    raw = owner.get(url("/calls.csv", q="HYPERLINK")).body
    assert '"\'=HYPERLINK(""http://evil.example/"",""click"")"' in raw
    assert '"Núñez, José ""Pepe"""' in owner.get(url("/calls.csv", q="Pepe")).body


def test_export_link_carries_the_filters(owner):
    r = owner.get(url("/calls", direction="outbound", sort="dst", order="asc", per=10))
    href = re.search(r'<a class="button" href="([^"]*)" id="export-csv"', r.body).group(1).replace("&amp;", "&")
    assert href.startswith("/calls.csv?")
    qs = urllib.parse.parse_qs(urllib.parse.urlparse(href).query)
    assert qs["direction"] == ["outbound"] and qs["sort"] == ["dst"] and qs["order"] == ["asc"]
    assert "after" not in qs
    rows = read_csv(owner.get(href))
    assert [r["uniqueid"] for r in rows] == [BY_ID[i]["uniqueid"] for i in expected({"direction": "outbound"},
                                                                                     "dst", "asc")]


# ---------------------------------------------------------------- a large export is streamed

def peak_rss(pid):
    """The process's peak resident memory in bytes (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_large_export_streams_every_row():
    """100,000 rows (some 10 MB of CSV) come out whole and in order; the daemon writes them as it reads them (the
    response's stream, not one buffer), so its peak memory does not grow with the export."""
    s = Stack(extra_conf=EXTRA_CONF).start()
    try:
        s.add_user(OWNER[0], "owner", OWNER[1])
        n = 100000
        base = local(2025, 1, 1)
        con = sqlite3.connect(s.db)
        con.executemany(
            "INSERT INTO calls (id, key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name,"
            " clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext,"
            " day, hour, dow) VALUES (?, ?, ?, 0, ?, 10, 0, ?, '201', ?, '', 'x', 'PJSIP/t-1', '', 'Dial', ?, 1, 1,"
            " '', '201', 20250101, 0, 2)",
            [(i, f"k{i}", base + i, base + i + 10, f"6{i:08d}", "=evil()" if i % 1000 == 0 else "Cliente",
              f"u.{i}") for i in range(1, n + 1)])
        con.commit()
        con.close()
        c = Client(s.port)
        assert c.login(*OWNER).status == 303
        c.get("/calls.csv?q=nobody")   # the workers' first export: templates, statements
        peak_before = peak_rss(s.daemon.pid)
        r = c.get("/calls.csv")
        peak_after = peak_rss(s.daemon.pid)
        rows = read_csv(r)
        assert len(rows) == n
        assert [row["uniqueid"] for row in rows[:3]] == [f"u.{n}", f"u.{n - 1}", f"u.{n - 2}"]
        assert rows[-1]["uniqueid"] == "u.1"
        assert sum(1 for row in rows if row["from_name"] == "'=evil()") == n // 1000
        # The export held in one buffer would raise the peak by its size (and more, the buffer doubling).
        assert len(r.body) > 10 * 1024 * 1024
        assert peak_after - peak_before < 5 * 1024 * 1024, (peak_before, peak_after)
    finally:
        s.stop()
        s.cleanup()
