"""Where an import's time goes, against the REAL Asterisk (hand-run; not part of make bench or make acceptance):
one stack (bench/import_bench.py's new_stack: a freshly reset Asterisk, a fresh database, 10 phones), then
IMPORT_PROFILE_N (500) phones imported from a CSV, printing the upload, the confirm, how many phones were
still unapplied each 0.1 s, when the last was applied and when Asterisk had them all loaded; and the same for
IMPORT_PROFILE_N phones added one by one through the form. The daemon's log is kept in
tests/out/acceptance/import-profile-daemon-{import,form}.log.

Usage: /usr/bin/python3 bench/import_profile.py [import|form]...   (default: both)"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import import_bench as ib  # noqa: E402

N = int(os.environ.get("IMPORT_PROFILE_N", "500"))


def applied_at(timeline):
    """Seconds at which the timeline first shows no phone left to apply."""
    return next((t for t, n in timeline if n == 0), float("nan"))


def profile_import():
    stacks = []
    s, c, probe, _ = ib.new_stack(stacks)
    try:
        total, t_up, t_confirm, _, _, _, prov, _, tl = ib.do_import(s, c, probe, N, ib.IMPORT_EXT, 0x12)
        print(f"import of {N}: upload {t_up * 1000:.0f} ms, confirm {t_confirm * 1000:.0f} ms, all applied at "
              f"{applied_at(tl):.2f} s, all loaded at {total:.2f} s, {prov} provisioning files")
        print("  unapplied:", ib.shape(tl, 0.25))
    finally:
        probe.sock.close()
        ib.end_stack(stacks.pop(), "profile-import")


def profile_form():
    stacks = []
    s, c, probe, _ = ib.new_stack(stacks)
    try:
        token = c.csrf()
        t0 = time.perf_counter()
        for i in range(N):
            ib.add(c, token, ib.ONE_EXT + i, f"Form {i}", ib.mac(0x11, i))
        t_posts = time.perf_counter() - t0
        tl = ib.all_live(s, probe, range(ib.ONE_EXT, ib.ONE_EXT + N), 600, t0)
        total = time.perf_counter() - t0
        print(f"{N} one by one: posts {t_posts:.2f} s ({t_posts / N * 1000:.2f} ms each), all applied at "
              f"{applied_at(tl):.2f} s, all loaded at {total:.2f} s")
    finally:
        probe.sock.close()
        ib.end_stack(stacks.pop(), "profile-form")


if __name__ == "__main__":
    for what in sys.argv[1:] or ["import", "form"]:
        {"import": profile_import, "form": profile_form}[what]()
    ib.ast.reset()
