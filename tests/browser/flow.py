"""Runs one Node browser flow (a *.mjs file here) and fails with its output if it does not exit 0."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "out")


def run_flow(script, *args):
    r = subprocess.run(["node", os.path.join(HERE, script), *args], capture_output=True, text=True, timeout=180,
                       cwd=HERE)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def clear_shots(prefix):
    for f in os.listdir(OUT) if os.path.isdir(OUT) else []:
        if f.startswith(prefix):
            os.unlink(os.path.join(OUT, f))
