"""Call history benchmark (issue 11), in one run against baselines measured in the same run:

1. Ingest: N Cdr events (default 100,000) sent by the test PBX (its own process), one write each as Asterisk
   writes them: the daemon's intake (read, parse, batch, SQLite with the aggregates) against `centralita
   import-cdr` storing the same number of records from a file (SQLite alone: the baseline).
   Target >= 50,000 events/s.
2. Pages with 1,000,000 calls in the database: the history's first page, the history 5,000 rows deep (its
   keyset cursor), the statistics page when it exists, each against a static file through the same nginx
   (median of BENCH_REQUESTS sequential requests each). Targets: statistics < 50 ms, history 5,000 deep < 20 ms.
Prints figures and ratios; never asserts a speed."""
import os
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from harness import Client, Stack  # noqa: E402

N_EVENTS = int(os.environ.get("BENCH_CDR_EVENTS", "100000"))
N_ROWS = int(os.environ.get("BENCH_CALL_ROWS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))


def count(stack):
    db = sqlite3.connect(stack.db, timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    finally:
        db.close()


def master_csv(path, n, start=1_700_000_000):
    """n distinct calls as cdr_csv writes Master.csv (UTC), shaped as the test PBX's cdr_flood_prepare."""
    fmt = "%Y-%m-%d %H:%M:%S"
    with open(path, "w") as f:
        for i in range(n):
            t = start + i * 7
            caller, callee = str(200 + i % 50), str(250 + i % 40)
            answered = i % 3 != 0
            f.write(f'"","{caller}","{callee}","from-internal","""Bench"" <{caller}>","PJSIP/{caller}-{2 * i:08x}",'
                    f'"PJSIP/{callee}-{2 * i + 1:08x}","Dial","PJSIP/{callee},30","{time.strftime(fmt, time.gmtime(t))}",'
                    + (f'"{time.strftime(fmt, time.gmtime(t + 2))}"' if answered else "") +
                    f',"{time.strftime(fmt, time.gmtime(t + 40))}",40,{38 if answered else 0},'
                    f'"{"ANSWERED" if answered else "NO ANSWER"}","DOCUMENTATION","{t}.{i}"\n')


def import_rate():
    """The baseline: the same number of records stored by `centralita import-cdr` from a file (no network, no
    AMI parsing, the same batches into SQLite)."""
    s = Stack(pbx_running=False).start()
    try:
        path = os.path.join(s.dir, "Master.csv")
        master_csv(path, N_EVENTS)
        t0 = time.perf_counter()
        out = s.cli("import-cdr", "--utc", path)
        dt = time.perf_counter() - t0
        assert f"{N_EVENTS} new" in out.stdout, out.stdout
        return N_EVENTS / dt
    finally:
        s.stop()
        s.cleanup()


def ingest():
    s = Stack(pbx_process=True).start()
    try:
        # The daemon's intake is logged in once a Cdr reaches a session and is stored.
        probe = [["Source", "1"], ["Destination", "2"], ["Channel", "PJSIP/1-00000001"],
                 ["DestinationChannel", "PJSIP/2-00000002"], ["StartTime", "2020-01-01 00:00:00"],
                 ["AnswerTime", ""], ["EndTime", "2020-01-01 00:00:05"], ["Duration", "5"],
                 ["BillableSeconds", "0"], ["Disposition", "NO ANSWER"]]
        end = time.monotonic() + 20
        while count(s) == 0:
            s.pbx.control({"cmd": "event", "event": "Cdr", "fields": probe})
            time.sleep(0.2)
            if time.monotonic() > end:
                raise RuntimeError("the daemon's Cdr intake never logged in")
        built = s.pbx.control({"cmd": "cdr_flood_prepare", "n": N_EVENTS})
        t0 = time.perf_counter()
        delivered = s.pbx.control({"cmd": "cdr_flood_send"})["delivered"]
        while count(s) < N_EVENTS + 1:
            time.sleep(0.02)
            if time.perf_counter() - t0 > 600:
                raise RuntimeError(f"only {count(s) - 1} of {N_EVENTS} stored after 600 s")
        mine = N_EVENTS / (time.perf_counter() - t0)
        lost = "connection lost" in s.daemon_log_text()
    finally:
        s.stop()
        s.cleanup()
    base = import_rate()
    print(f"ingest: {N_EVENTS} Cdr events ({built['bytes'] / 1e6:.1f} MB) from the test PBX over TLS, "
          f"{delivered} session(s)" + (" (the event connection was LOST during the run)" if lost else ""))
    print(f"  import-cdr of the same records from a file : {base:10.0f} records/s   (baseline: SQLite alone)")
    print(f"  Centralita from Cdr events (AMI, TLS)      : {mine:10.0f} events/s   (target >= 50,000)")
    print(f"  ratio events / import                      : {mine / base:10.2f}")


def fill(stack):
    """N_ROWS calls over 400 days, 40 phones, as the ingest stores them, and their aggregates."""
    db = sqlite3.connect(stack.db, timeout=60)
    t0 = time.perf_counter()
    start0 = int(time.time()) - 400 * 86400
    step = 400 * 86400 // N_ROWS

    def rows():
        for i in range(N_ROWS):
            t = start0 + i * step
            tm = time.localtime(t)
            caller, callee = str(200 + i % 40), str(200 + (i * 7 + 3) % 40)
            disp = 0 if i % 4 else (1 + i % 3)
            dur = 20 + i % 300
            bill = dur - 5 if disp == 0 else 0
            yield (f"bench-{i}", t, t + 5 if disp == 0 else 0, t + dur, dur, bill, caller, callee,
                   "Bench", caller, "from-internal", f"PJSIP/{caller}-{i:08x}", f"PJSIP/{callee}-{i:08x}", "Dial",
                   "", disp, 0, caller, callee, tm.tm_year * 10000 + tm.tm_mon * 100 + tm.tm_mday,
                   tm.tm_hour, tm.tm_wday)
    db.execute("BEGIN")
    db.executemany("INSERT INTO calls (key, start_time, answer_time, end_time, duration, billsec, src, dst, "
                   "clid_name, clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, "
                   "from_ext, to_ext, day, hour, dow) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    db.execute("INSERT INTO calls_by_hour (day, hour, dow, calls, answered, missed, talk_seconds) "
               "SELECT day, hour, dow, COUNT(*), SUM(disposition = 0), SUM(disposition <> 0), SUM(billsec) "
               "FROM calls GROUP BY day, hour")
    db.execute("INSERT INTO calls_by_ext (ext, day, made, received, missed, talk_seconds) "
               "SELECT ext, day, SUM(made), SUM(received), SUM(missed), SUM(talk) FROM ("
               " SELECT from_ext AS ext, day, 1 AS made, 0 AS received, 0 AS missed, billsec AS talk FROM calls"
               " UNION ALL SELECT to_ext, day, 0, disposition = 0, disposition <> 0, 0 FROM calls"
               ") GROUP BY ext, day")
    db.commit()
    deep = db.execute("SELECT start_time, id FROM calls ORDER BY start_time DESC, id DESC LIMIT 1 OFFSET 4999"
                      ).fetchone()
    db.close()
    print(f"pages: {N_ROWS} calls written in {time.perf_counter() - t0:.0f} s")
    return deep


def latency(client, path, headers=None):
    times = []
    for _ in range(REQUESTS):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            return None, r.status
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def pages():
    s = Stack(pbx_running=False).start()
    try:
        s.add_user("bench", "owner", "bench-password-1")
        deep = fill(s)
        c = Client(s.port)
        assert c.login("bench", "bench-password-1").status == 303
        static = latency(c, "/static/style.css")
        print(f"  static file /static/style.css : median {static[0]:6.2f} ms   p95 {static[1]:6.2f} ms")
        for what, path, target in (
                ("history, first page", "/calls", None),
                ("history, 5,000 rows deep", f"/calls?after={deep[0]}~{deep[1]}", 20),
                ("history, filtered by extension, deep", f"/calls?ext=205&after={deep[0]}~{deep[1]}", None),
                ("statistics, 30 days", "/stats?period=30", 50),
                ("home page (dashboard)", "/", None)):
            got = latency(c, path)
            if got[0] is None:
                print(f"  {what:33s}: HTTP {got[1]} (not measured)")
                continue
            goal = f"   (target < {target} ms)" if target else ""
            print(f"  {what:33s}: median {got[0]:6.2f} ms   p95 {got[1]:6.2f} ms   "
                  f"{got[0] / static[0]:5.1f}x the static file{goal}")
    finally:
        s.stop()
        s.cleanup()


if __name__ == "__main__":
    ingest()
    pages()
