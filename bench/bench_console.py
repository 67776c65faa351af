"""Debug console benchmark (issue 12): the last 500 lines of a 1 GB log, as /console reads them (util/logtail,
build/bench/logtail_bench: backwards in blocks, then forwards and sanitised), against `tail -n 500` of the same
file measured in the same run. The file is 1 GiB: a sparse hole (a log's old part, never read) then 16 MiB of real
Asterisk-like lines, so the bench neither fills the disk nor depends on the page cache of a gigabyte.
Also the same with a level filter (the last 500 WARNING lines, one line in ten) against grep + tail, which read
the whole file. Median of BENCH_TAIL_RUNS (21) runs each (grep once: it takes seconds), every run a new process
(both sides pay an exec).
Prints figures and ratios; never asserts a speed."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bench", "logtail_bench")
RUNS = int(os.environ.get("BENCH_TAIL_RUNS", "21"))
SIZE = 1 << 30
REAL = 16 << 20


def make_log(path):
    line = 0
    chunks, n = [], 0
    while n < REAL:
        line += 1
        level = "WARNING" if line % 10 == 0 else "VERBOSE"
        s = (f"[Dec  2 06:{line // 60 % 60:02d}:{line % 60:02d}] {level}[{1000 + line % 97}][C-{line:08x}] "
             f"pbx.c:   == Spawn extension (from-internal, {200 + line % 50}, 1) exited non-zero on "
             f"'PJSIP/{200 + line % 50}-{line:08x}' ñ\n").encode()
        chunks.append(s)
        n += len(s)
    data = b"\n" + b"".join(chunks)
    with open(path, "wb") as f:
        f.truncate(SIZE - len(data))
        f.seek(SIZE - len(data))
        f.write(data)
    assert os.path.getsize(path) == SIZE


def timed(cmd, shell=False):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def median_ms(cmd, shell=False, runs=RUNS):
    return statistics.median(timed(cmd, shell) for _ in range(runs))


def main():
    subprocess.run(["make", "-s", "build/bench/logtail_bench"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="bench-console-") as d:
        path = os.path.join(d, "messages")
        make_log(path)
        out = subprocess.run([BIN, path, "500"], capture_output=True, text=True, check=True).stdout
        assert out.startswith("lines=500 "), out
        inproc = statistics.median(float(subprocess.run([BIN, path, "500"], capture_output=True, text=True,
                                                        check=True).stdout.split("ms=")[1]) for _ in range(RUNS))
        ours = median_ms([BIN, path, "500"])
        tail = median_ms(["tail", "-n", "500", path])
        ours_f = median_ms([BIN, path, "500", "warning"])
        grep = median_ms(f"grep -a ' WARNING\\[' {path} | tail -n 500", shell=True, runs=1)   # seconds: once
        print(f"1 GiB log ({REAL >> 20} MiB of lines at its end), median of {RUNS} runs, each a new process:")
        print(f"  last 500 lines:          logtail {ours:8.2f} ms (in-process {inproc:.2f} ms)   "
              f"tail -n 500 {tail:8.2f} ms   ratio {ours / tail:.2f}")
        print(f"  last 500 WARNING lines:  logtail {ours_f:8.2f} ms   grep | tail -n 500 {grep:8.2f} ms (1 run)   "
              f"ratio {ours_f / grep:.4f}")


if __name__ == "__main__":
    sys.exit(main())
