"""Nothing applied is silently lost (issue 9): Asterisk saves a file in place, so a crash mid-save leaves it cut
short. After every restart of the PBX (and on demand) Centralita verifies every phone it applied against what
Asterisk has, shows what vanished as pending with the reason, and puts it back through the usual path, exactly
once. The test PBX plays the crashes: `truncate` cuts a file as a crash would, `crash_on_save` dies in the
middle of the next save, `restart` ends every session and changes CoreStatus's start time."""
import os
import re
import sqlite3
import threading
import time

import pytest

from harness import PHONES_PER_FILE, Client, Stack, phone_file_names
from test_phones import (add, applied, edit, clean_pbx, conf_sections, expected_dialplan, live, parse_conf,  # noqa: F401
                         phone_dialplan, phone_id, phone_row, pbx, wait_for)


def files_of(stack, ext):
    pid = phone_id(stack, ext)
    return tuple(os.path.join(stack.pbx_dir, f) for f in phone_file_names(pid))


def on_pbx_once(stack, ext):
    """The phone's endpoint, aor and auth each present exactly once, with its secret, and its two dialplan
    lines exactly once; and Asterisk runs with them."""
    p = phone_row(stack, ext)
    by_type = sorted(t for t in (dict(s)["type"] for s in conf_sections(stack, ext)) if t in ("endpoint", "aor"))
    auth = conf_sections(stack, f"{ext}-auth")
    return (by_type == ["aor", "endpoint"] and len(auth) == 1 and ("password", p["secret"]) in auth[0] and
            phone_dialplan(stack, ext) == expected_dialplan(ext) and live(stack, ext, p["secret"]))


def prov_secret(stack, mac):
    with open(os.path.join(stack.prov_dir, mac.replace(":", "").lower() + ".cfg")) as f:
        return re.search(r"account\.1\.password = (\S+)", f.read()).group(1)


def group_mates(stack, ext):
    """The other live phones sharing ext's files (src/pbx/pbx.h: PHONES_PER_FILE to a pair, by id)."""
    pid = phone_id(stack, ext)
    first = (pid - 1) // PHONES_PER_FILE * PHONES_PER_FILE + 1
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return [e for (e,) in db.execute("SELECT extension FROM phones WHERE id BETWEEN ? AND ? AND id != ? "
                                         "AND deleted = 0", (first, first + PHONES_PER_FILE - 1, pid))]
    finally:
        db.close()


def fill_group(stack, integrator, prefix):
    """Adds phones (extensions prefix0, prefix1...) until the next phone starts a group of files."""
    i = 0
    while True:
        db = sqlite3.connect(stack.db, timeout=10)
        next_id = db.execute("SELECT coalesce(max(id), 0) + 1 FROM phones").fetchone()[0]
        db.close()
        if next_id % PHONES_PER_FILE == 1:
            return
        ext = f"{prefix}{i}"
        assert add(integrator, ext, name=f"Filler {ext}", mac=f"00:15:65:99:{int(prefix):02x}:{i:02x}").status == 303
        i += 1


def test_half_a_category_and_a_missing_file_are_restored_after_a_restart(stack, integrator, clean_pbx):
    """781 and 782 first in a group's files, 783 in the next group's: 782's auth cut in half (and whatever
    follows it in the file), 783's dialplan file gone; 781, before the cut, is left alone."""
    fill_group(stack, integrator, "80")
    for ext in ("781", "782"):
        assert add(integrator, ext, name=f"Restore {ext}", mac=f"00:15:65:78:00:{ext[-1]}0").status == 303
    fill_group(stack, integrator, "81")
    assert add(integrator, "783", name="Restore 783", mac="00:15:65:78:00:30").status == 303
    assert "781" in group_mates(stack, "782") and "783" not in group_mates(stack, "782")
    chan_782, _ = files_of(stack, "782")
    text = open(chan_782).read()
    pbx(stack, "truncate", file=os.path.relpath(chan_782, stack.pbx_dir),
        keep=text.index("password", text.index("[782-auth]")))
    assert not on_pbx_once(stack, "782")                 # half a [782-auth]: no password
    _, dial_783 = files_of(stack, "783")
    os.unlink(dial_783)                                  # 783 can no longer be called
    pbx(stack, "restart")                                # the crash's restart; Centralita notices it
    wait_for(lambda: phone_row(stack, "782")["drifted"] == 1 or phone_row(stack, "782")["restored_at"],
             timeout=10, what="782 found incomplete")
    wait_for(lambda: all(applied(stack, e) for e in ("781", "782", "783")), timeout=15, what="restored")
    for ext in ("781", "782", "783"):
        wait_for(lambda: on_pbx_once(stack, ext), timeout=3, what="live")   # reloads: a moment after
        assert phone_row(stack, ext)["secret"] == prov_secret(stack, f"00:15:65:78:00:{ext[-1]}0")
    assert phone_row(stack, "781")["restored_at"] is None            # intact: never touched
    for ext in ("782", "783"):
        p = phone_row(stack, ext)
        assert p["restored_at"] and p["drifted"] == 0 and "vanished from the PBX" in p["drift_reason"], p
    body = integrator.get(f"/phones/{phone_id(stack, '782')}").body
    assert 'id="phone-restored"' in body


def test_a_file_asterisk_cannot_read_is_rebuilt(stack, integrator, clean_pbx):
    assert add(integrator, "784", name="Unreadable", mac="00:15:65:78:04:00").status == 303
    chan, _ = files_of(stack, "784")
    with open(chan, "w") as f:
        f.write(";!\n[784]\ntype = endpoint\n[78")         # cut inside a section name: invalid format
    pbx(stack, "restart")
    wait_for(lambda: phone_row(stack, "784")["restored_at"], timeout=15, what="784 rebuilt")
    wait_for(lambda: applied(stack, "784"), timeout=10, what="784 applied")
    wait_for(lambda: on_pbx_once(stack, "784"), timeout=3, what="live")   # reloads: a moment after
    assert "cannot be read by Asterisk" in phone_row(stack, "784")["drift_reason"]


def test_a_pbx_still_booting_is_waited_for_not_repaired(stack, integrator, clean_pbx):
    """Asterisk answers AMI while it boots, res_pjsip loaded before pbx_config (observed on 22.10.1): for a moment
    every phone's endpoint is there and its dialplan is not, and a Reload is only queued though answered as done.
    Taken at its word, that made Centralita mark every phone lost and write them all again (seen in the
    acceptance kill storm: 209 phones). It must wait for FullyBooted instead, and then find them all there."""
    exts = ("795", "796", "797")
    for ext in exts:
        assert add(integrator, ext, name=f"Boot {ext}", mac=f"00:15:65:79:5{ext[-1]}:00").status == 303
    for ext in exts:
        wait_for(lambda: applied(stack, ext) and on_pbx_once(stack, ext), timeout=10, what=f"{ext} live")
    # ... and the reloader idle (these phones' reloads and any earlier test's, both modules): a reload cut by the
    # restart is asked again while Asterisk boots (queued), which is the reloader's retry, not the verification's.
    wait_for(lambda: re.search(r'id="loading-count">0<', integrator.get("/pbx").body), timeout=15,
             what="no reload waiting")
    log0 = os.path.getsize(stack.log)
    writes0 = pbx(stack, "counters")["actions"].get("UpdateConfig", 0)
    pbx(stack, "restart", boot_ms=1800)

    def log_since():
        with open(stack.log) as f:
            f.seek(log0)
            return f.read()
    wait_for(lambda: "Asterisk is still booting" in log_since(), timeout=10, what="a verification while booting")
    booting_at = log_since().index("Asterisk is still booting")
    wait_for(lambda: re.search(r"verification: the \d+ applied phones are on the PBX as applied",
                               log_since()[booting_at:]), timeout=15, what="the verification after the boot")
    text = log_since()
    assert "does not load" not in text and "vanished from the PBX" not in text, text
    assert pbx(stack, "counters")["actions"].get("UpdateConfig", 0) == writes0   # nothing written again
    for ext in exts:
        p = phone_row(stack, ext)
        assert p["restored_at"] is None and p["drifted"] == 0, p
        assert on_pbx_once(stack, ext)
    # The check's own Reload is not sent while booting: nothing was queued behind the boot.
    reloads = [r for r in pbx(stack, "counters")["reloads"] if r["status"] == 1]
    assert reloads == [], reloads


def test_a_save_while_asterisk_shuts_down_waits_for_it_and_is_applied(stack, integrator, clean_pbx):
    """While Asterisk stops ("core stop now") it answers every action "Asterisk is shutting down" for a moment
    before it closes (observed on 22.10.1). It ran nothing: the save waits as for a PBX that is down (retried
    at retry_interval), it is not a refusal (whose retries back off up to 5 minutes)."""
    pbx(stack, "shutdown", ms=1500)
    try:
        r = add(integrator, "798", name="Shutdown", mac="00:15:65:79:80:00")
        assert r.status == 303 and r.header("Location") == "/phones?done=saved_pending", r.header("Location")
        # "cannot be reached (Asterisk is shutting down)", or "(AMI login on ... refused: Asterisk is shutting
        # down)" when the pool had to log in anew: either way, the PBX's absence, not a refusal of the change.
        p = phone_row(stack, "798")
        assert p["last_error"].startswith("the PBX cannot be reached (") and "shutting down" in p["last_error"], \
            p["last_error"]
        wait_for(lambda: pbx(stack, "counters")["sessions"] == 0, timeout=5, what="the PBX gone")
    finally:
        pbx(stack, "restart")
        pbx(stack, "start_listening")
    wait_for(lambda: applied(stack, "798"), timeout=10, what="798 applied once the PBX is back")
    wait_for(lambda: on_pbx_once(stack, "798"), timeout=3, what="live")


def test_the_check_button_finds_a_change_made_by_hand(stack, integrator, clean_pbx):
    """No restart: someone edited a phone's file by hand; the integrator's "check now" finds and restores it."""
    assert add(integrator, "785", name="Hand edited", mac="00:15:65:78:05:00").status == 303
    chan, _ = files_of(stack, "785")
    with open(chan) as f:
        text = f.read()
    with open(chan, "w") as f:
        f.write(text.replace("max_contacts = 1", "max_contacts = 5"))
    r = integrator.post("/pbx/verify", {"_csrf": integrator.csrf()})
    assert r.header("Location") == "/phones?done=verified"
    wait_for(lambda: phone_row(stack, "785")["restored_at"], timeout=10, what="785 restored")
    wait_for(lambda: on_pbx_once(stack, "785"), timeout=3, what="live")   # reloads: a moment after
    assert "has its section [785] (aor) with other lines than Centralita wrote" in phone_row(stack, "785")["drift_reason"]
    assert [("type", "aor"), ("max_contacts", "1"), ("remove_existing", "yes")] in conf_sections(stack, "785")


def test_crashes_mid_save_lose_no_phone():
    """40 phones saved one after the other while the PBX dies in the middle of every fifth save (the file it
    was writing keeps 0-90 % of its bytes) and restarts: in the end every phone is on the PBX exactly once, its
    provisioning file carries the same secret as the PBX."""
    s = Stack().start()
    try:
        s.add_user("boss", "integrator", "password-123")
        c = Client(s.port)
        assert c.login("boss", "password-123").status == 303
        exts = [str(620 + i) for i in range(40)]
        for i, ext in enumerate(exts):
            if i % 5 == 2:
                s.pbx.control({"cmd": "crash_on_save", "fraction": (i % 10) / 10.0})
            r = c.post("/phones", {"_csrf": c.csrf(), "extension": ext, "name": f"Crash {i}",
                                   "model": "yealink-t46u", "mac": f"00:15:65:60:00:{i:02x}"})
            assert r.status == 303, r.body[:300]
            if i % 5 == 2:   # the crash is one-shot: let it happen before arming the next
                wait_for(lambda: s.pbx.control({"cmd": "counters"})["restarts"] == (i + 3) // 5, timeout=10,
                         what=f"crash {(i + 3) // 5}")
        assert s.pbx.control({"cmd": "counters"})["restarts"] == 8
        wait_for(lambda: all(applied(s, e) for e in exts), timeout=30, what="every phone applied")
        # One more restart and check: nothing left to restore.
        s.pbx.control({"cmd": "restart"})
        wait_for(lambda: all(applied(s, e) for e in exts), timeout=15, what="still applied")
        sections = parse_conf(open(os.path.join(s.pbx_dir, "pjsip.conf")).read())
        assert [n for n, _ in sections] == ["transport-udp"]       # the integrator's file untouched
        for i, ext in enumerate(exts):
            wait_for(lambda: on_pbx_once(s, ext), timeout=3, what="live")   # reloads: a moment after
            assert phone_row(s, ext)["secret"] == prov_secret(s, f"00:15:65:60:00:{i:02x}")
    finally:
        s.stop()
        s.cleanup()


def test_phones_of_earlier_releases_move_into_their_own_files():
    """Before per-phone files a phone lived in pjsip.conf, with its own [centralita-<ext>] context and an
    include line in [internal] (recorded in pbx_owned). At start the verification moves it: only what
    Centralita had created leaves the integrator's files, and the phone gets its own files."""
    s = Stack()
    secret = "Legacysecretlegacysecretlegacy12"
    with open(os.path.join(s.pbx_dir, "pjsip.conf"), "a") as f:
        f.write(f"""
[790]
type = endpoint
context = internal
disallow = all
allow = ulaw
allow = alaw
auth = 790-auth
aors = 790
callerid = "Old" <790>

[790-auth]
type = auth
auth_type = userpass
username = 790
password = {secret}

[790]
type = aor
max_contacts = 1
remove_existing = yes

[790]
type = identify
endpoint = 790
match = 192.0.2.90
""")
    with open(os.path.join(s.pbx_dir, "extensions.conf")) as f:
        dialplan = f.read()
    dialplan = dialplan.replace("[internal]\n", "[internal]\ninclude => centralita-790\n")
    dialplan += "\n[centralita-790]\nexten => 790,hint,PJSIP/790\nexten => 790,1,Dial(PJSIP/790,30)\n"
    with open(os.path.join(s.pbx_dir, "extensions.conf"), "w") as f:
        f.write(dialplan)
    s.cli("migrate")
    with sqlite3.connect(s.db) as db:
        db.execute("INSERT INTO phones (extension, name, model, mac, secret, version, applied_version, "
                   "applied_extension, applied_mac, applied_model, created_at, updated_at) VALUES "
                   "('790', 'Old', 'yealink-t46u', '001565790000', ?, 1, 1, '790', '001565790000', "
                   "'yealink-t46u', 0, 0)", (secret,))
        for file, cat, typ in (("pjsip.conf", "790", "endpoint"), ("pjsip.conf", "790", "aor"),
                               ("pjsip.conf", "790-auth", "auth"), ("extensions.conf", "centralita-790", "")):
            db.execute("INSERT INTO pbx_owned VALUES (?, ?, ?, 'owned', '', 0)", (file, cat, typ))
    s.start()
    try:
        wait_for(lambda: applied(s, "790") and phone_row(s, "790")["applied_chan_digest"], timeout=15,
                 what="790 moved")
        pjsip = open(os.path.join(s.pbx_dir, "pjsip.conf")).read()
        assert "type = endpoint" not in pjsip and "[790-auth]" not in pjsip and "type = aor" not in pjsip
        assert "[790]\ntype = identify" in pjsip                     # the integrator's identify stays
        ext_conf = open(os.path.join(s.pbx_dir, "extensions.conf")).read()
        assert "centralita-790" not in ext_conf
        assert "include = centralita-phones" in ext_conf
        wait_for(lambda: on_pbx_once(s, "790"), timeout=3, what="live")   # reloads: a moment after
        with sqlite3.connect(s.db) as db:
            assert db.execute("SELECT count(*) FROM pbx_owned").fetchone()[0] == 0
    finally:
        s.stop()
        s.cleanup()


def test_vanished_phones_are_pending_with_the_reason_and_counted_on_the_home_page(stack, integrator, clean_pbx):
    """While a vanished phone cannot be put back (here the PBX answers changes too slowly), it is never shown
    as applied: pending, with what was found, and the home page counts it."""
    assert add(integrator, "786", name="Slow restore", mac="00:15:65:78:06:00").status == 303
    chan, _ = files_of(stack, "786")
    gone = 1 + len(group_mates(stack, "786"))               # the phones sharing the file vanish with it
    os.unlink(chan)
    pbx(stack, "delay", ms=8000, action="UpdateConfig")      # changes time out; reading still works
    r = integrator.post("/pbx/verify", {"_csrf": integrator.csrf()})
    assert r.header("Location") == "/phones?done=verified"
    wait_for(lambda: phone_row(stack, "786")["drifted"] == 1, timeout=10, what="786 found missing")
    body = integrator.get("/").body
    assert re.search(rf'id="vanished-count"[^>]*>{gone}<', body), body
    row = integrator.get("/phones?q=786").body
    assert "status-pending" in row and "vanished from the PBX" in row and "is missing" in row
    pbx(stack, "delay", ms=0)
    wait_for(lambda: applied(stack, "786"), timeout=20, what="786 restored")
    wait_for(lambda: on_pbx_once(stack, "786"), timeout=3, what="786 live again")
    assert 'id="vanished-count"' not in integrator.get("/").body


def test_a_save_during_someone_elses_reload_is_loaded(stack, integrator, clean_pbx):
    """Asterisk runs one reload at a time and refuses the others; UpdateConfig's Reload header ignores that
    refusal, so a save made while the integrator reloads used to leave the phone written but never loaded
    (observed on Asterisk 22.10.1). Centralita reloads with the Reload action and asks again while another
    reload runs (the reloader's, issue 13): the phone is live once that reload ran."""
    pbx(stack, "reload_ms", ms=1200)
    try:
        busy = threading.Thread(target=lambda: stack.pbx.control({"cmd": "reload", "module": "res_pjsip.so"}))
        busy.start()                                   # the integrator's "module reload res_pjsip.so"
        time.sleep(0.2)
        pbx(stack, "reset_counters")
        assert add(integrator, "787", name="Busy reload", mac="00:15:65:78:07:00").status == 303
        busy.join()
        wait_for(lambda: applied(stack, "787"), timeout=15, what="787 applied")
        wait_for(lambda: on_pbx_once(stack, "787"), timeout=8, what="787 live")
        refused = [r for r in pbx(stack, "counters")["reloads"] if r["status"] == 4]
        assert refused and all(r["via"] == "Reload" for r in refused), refused   # refused, then asked again
    finally:
        pbx(stack, "reload_ms", ms=0)


def test_centralitas_own_slow_reloads_are_never_taken_for_someone_elses(stack, integrator, clean_pbx):
    """Someone else's reload calls for a verification of every phone (1.5-3 s at 1,000 phones, under the lock
    saves wait for); Centralita's own must not. Asterisk's reload time has whole seconds and a save's round
    reloads res_pjsip then pbx_config: with slow reloads the two fall in different seconds, and the applier reads
    the time before, between and after them. Every new time must be known for Centralita's (reload.h: reloads
    counted as sent before they go and as done once answered; a single flag cleared by the first read could
    take the second reload of a round for another's when read in between)."""
    pbx(stack, "reload_ms", ms=700)
    try:
        log0 = os.path.getsize(stack.log)
        for k, ext in enumerate(("774", "775", "776")):
            assert add(integrator, ext, name=f"Slow reload {ext}", mac=f"00:15:65:77:40:0{k}").status == 303
            wait_for(lambda: on_pbx_once(stack, ext), timeout=10, what=f"{ext} live")
            time.sleep(1.2)                              # the applier reads the reload time meanwhile
        with open(stack.log) as f:
            f.seek(log0)
            verifications = [l for l in f if "verification:" in l]
        assert verifications == [], verifications
    finally:
        pbx(stack, "reload_ms", ms=0)


def test_files_right_but_not_loaded_are_reloaded_not_rewritten(stack, integrator, clean_pbx):
    """A reload lost some other way (or an Asterisk that loaded an older state): the verification compares what
    Asterisk runs with (PJSIPShowEndpoints/Aors/Auths, ShowDialPlan) and reloads; the files are not written
    again and the phone is not shown as vanished."""
    assert add(integrator, "788", name="Not loaded", mac="00:15:65:78:08:00").status == 303
    wait_for(lambda: applied(stack, "788"), what="788 applied")
    pbx(stack, "unload", names=["788", "788-auth"], extens=["788"])
    assert not live(stack, "788", phone_row(stack, "788")["secret"])
    pbx(stack, "reset_counters")
    r = integrator.post("/pbx/verify", {"_csrf": integrator.csrf()})
    assert r.header("Location") == "/phones?done=verified"
    wait_for(lambda: on_pbx_once(stack, "788"), timeout=3, what="live")   # reloads: a moment after
    counters = pbx(stack, "counters")
    assert counters["actions"].get("UpdateConfig", 0) == 0, counters["actions"]
    assert {r["module"] for r in counters["reloads"]} >= {"res_pjsip.so", "pbx_config.so"}
    p = phone_row(stack, "788")
    assert p["drifted"] == 0 and p["restored_at"] is None


def test_a_file_asterisk_cannot_read_hides_the_next_ones_until_it_is_rebuilt(stack, integrator, clean_pbx):
    """A file Asterisk cannot read stops the #tryinclude glob: at the next start every phone file after it is
    not loaded either. Only the damaged one is written again; its reload loads the others, which are neither
    rewritten nor shown as vanished."""
    exts = ("791", "792", "793")
    for ext, fill in zip(exts, ("82", "83", "84")):
        fill_group(stack, integrator, fill)      # each in files of its own group
        assert add(integrator, ext, name=f"Glob {ext}", mac=f"00:15:65:79:0{ext[-1]}:00").status == 303
    wait_for(lambda: all(applied(stack, e) for e in exts), what="applied")
    chans = sorted((files_of(stack, e)[0], e) for e in exts)     # the glob's order
    first_file, first_ext = chans[0]
    with open(first_file, "w") as f:
        f.write(";!\n[%s]\ntype = endpoint\n[7" % first_ext)       # cut inside a section name
    pbx(stack, "restart")
    got = pbx(stack, "loaded")
    assert not any(e in got["endpoint"] for _, e in chans[1:])     # the glob stopped at the damaged file
    wait_for(lambda: phone_row(stack, first_ext)["restored_at"], timeout=15, what=f"{first_ext} rebuilt")
    wait_for(lambda: all(applied(stack, e) and on_pbx_once(stack, e) for e in exts), timeout=15,
             what="every phone loaded")
    for _, ext in chans[1:]:
        assert phone_row(stack, ext)["restored_at"] is None, ext   # hidden, not lost: never rewritten


def test_a_phone_of_an_earlier_release_moves_out_of_its_own_files_when_next_written(stack, integrator, clean_pbx):
    """Releases before groups gave each phone two files of its own (pjsip-<id>.conf, dialplan-<id>.conf; the
    database's migration marks those phones own_files). Such a phone is verified there as it is, not rewritten;
    the next time it is written it moves into its group's files and its own are emptied (AMI cannot delete them),
    while the phone beside it is left alone."""
    fill_group(stack, integrator, "86")
    for ext in ("871", "872"):
        assert add(integrator, ext, name=f"Older {ext}", mac=f"00:15:65:87:10:{ext[-1]}0").status == 303
    wait_for(lambda: applied(stack, "871") and applied(stack, "872"), what="applied")
    pid = phone_id(stack, "871")
    chan, dial = files_of(stack, "871")
    own_chan = os.path.join(os.path.dirname(chan), f"pjsip-{pid}.conf")
    own_dial = os.path.join(os.path.dirname(chan), f"dialplan-{pid}.conf")
    # 871 as an earlier release left it: its sections in files of its own, none in the group's.
    with open(chan) as f:
        blocks = re.split(r"(?m)^(?=\[)", f.read())
    mine = [b for b in blocks if b.startswith(("[871]", "[871-auth]"))]
    assert len(mine) == 3, blocks
    with open(own_chan, "w") as f:
        f.write("".join(mine))
    with open(chan, "w") as f:
        f.write("".join(b for b in blocks if b not in mine))
    with open(dial) as f:
        lines = f.read().splitlines(keepends=True)
    with open(own_dial, "w") as f:
        f.write("[centralita-phones]\n" + "".join(l for l in lines if "= 871," in l))
    with open(dial, "w") as f:
        f.write("".join(l for l in lines if "= 871," not in l))
    db = sqlite3.connect(stack.db, timeout=10)
    with db:
        db.execute("UPDATE phones SET own_files = 1, applied_chan_text = NULL, applied_dial_text = NULL "
                   "WHERE id = ?", (pid,))
    db.close()
    writes0 = pbx(stack, "counters")["actions"].get("UpdateConfig", 0)
    pbx(stack, "restart")                   # Asterisk reads the files again; Centralita verifies after a restart
    r = integrator.post("/pbx/verify", {"_csrf": integrator.csrf()})
    assert r.header("Location") == "/phones?done=verified"
    assert on_pbx_once(stack, "871") and on_pbx_once(stack, "872")
    for ext in ("871", "872"):
        assert phone_row(stack, ext)["drifted"] == 0 and phone_row(stack, ext)["restored_at"] is None
    assert pbx(stack, "counters")["actions"].get("UpdateConfig", 0) == writes0   # found right where it is

    assert edit(integrator, stack, "871", name="Older 871 moved").header("Location") == "/phones?done=saved"
    wait_for(lambda: applied(stack, "871"), what="871 applied")
    with open(own_chan) as f:
        assert parse_conf(f.read()) == [], "its own pjsip file still holds it"
    with open(own_dial) as f:
        assert "871" not in f.read()
    with open(chan) as f:
        assert sorted(n for n, _ in parse_conf(f.read()) if n.startswith("871")) == ["871", "871", "871-auth"]
    assert phone_row(stack, "871")["own_files"] == 0
    wait_for(lambda: on_pbx_once(stack, "871"), timeout=3, what="871 live in its group's files")
    assert on_pbx_once(stack, "872") and phone_row(stack, "872")["restored_at"] is None


def test_a_phone_written_before_a_settings_change_is_outdated_not_vanished():
    """The codecs change between two runs of the daemon: the phone's file holds exactly what Centralita last
    wrote, which is no longer what it would write. The start's verification must take it for outdated (written
    again, nothing lost), not for a phone that vanished from the PBX and had to be restored."""
    s = Stack().start()
    try:
        s.add_user("boss", "integrator", "password-123")
        c = Client(s.port)
        assert c.login("boss", "password-123").status == 303
        r = c.post("/phones", {"_csrf": c.csrf(), "extension": "875", "name": "Codecs",
                               "model": "yealink-t46u", "mac": "00:15:65:87:50:00"})
        assert r.status == 303, r.body[:300]
        wait_for(lambda: applied(s, "875"), timeout=10, what="875 applied")
        chan = os.path.join(s.pbx_dir, phone_file_names(phone_row(s, "875")["id"])[0])
        assert "allow = g722" not in open(chan).read()
        s.stop_daemon()
        conf = open(s.conf).read()
        open(s.conf, "w").write(conf.replace("retry_interval = 1\n", "retry_interval = 1\ncodecs = g722,ulaw\n", 1))
        s.start_daemon()
        wait_for(lambda: "allow = g722" in open(chan).read() and applied(s, "875"), timeout=15,
                 what="875 written again with the new codecs")
        row = phone_row(s, "875")
        assert row["restored_at"] is None and row["drifted"] == 0, dict(row)
        assert "vanished from the PBX" not in s.daemon_log_text()
    finally:
        s.stop()
        s.cleanup()
