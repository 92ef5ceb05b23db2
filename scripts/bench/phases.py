#!/usr/bin/env python3
"""phases.py - where does a tcms-* plugin spend its time? Per-request timeline from `-vv`.

Usage:
  phases.py [--log FILE] -- target/release/tcms-junit-xml -vv FILE.xml

Runs the command (environment inherited), time-stamps every line it writes to stderr, and
summarises the `rpc answered method=... elapsed_ms=...` debug lines of tcms-api (`rpc ok`
in older builds) by label ("TestCase.create x100", "batch of 100 calls", ...): how many
requests, the sum of their elapsed times, and the wall-clock span from the first start to the
last end. Consecutive requests with the same label form one phase; between phases, the gap is
time when no request was in flight (client work, or waiting for the slowest batch of the phase
before).
"""
import argparse
import re
import subprocess
import sys
import time

LINE = re.compile(r'rpc (?:ok|answered).*?method="?(?P<method>[^"=]+?)"?\s+elapsed_ms=(?P<ms>\d+)')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", help="write the time-stamped stderr here")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    t0 = time.monotonic()
    proc = subprocess.Popen(a.cmd, stderr=subprocess.PIPE, text=True, env=None)
    events, lines = [], []
    for line in proc.stderr:
        t = time.monotonic() - t0
        lines.append(f"{t:9.3f} {line.rstrip()}")
        m = LINE.search(line)
        if m:
            ms = int(m.group("ms")) / 1000
            events.append((t - ms, t, m.group("method").strip()))
    code = proc.wait()
    total = time.monotonic() - t0
    if a.log:
        with open(a.log, "w") as f:
            f.write("\n".join(lines) + "\n")
    # Phases: runs of the same label in completion order ("x100" and "x37" count as one).
    phases = []
    for start, end, method in events:
        key = re.sub(r" x\d+$", "", method)
        key = re.sub(r"^batch of \d+ calls$", "batch (mixed)", key)
        if phases and phases[-1]["key"] == key:
            p = phases[-1]
            p["n"] += 1
            p["busy"] += end - start
            p["start"] = min(p["start"], start)
            p["end"] = max(p["end"], end)
        else:
            phases.append({"key": key, "n": 1, "busy": end - start, "start": start, "end": end})
    print(f"{'phase (label)':34} {'reqs':>5} {'start':>8} {'end':>8} {'span s':>7} "
          f"{'sum of req s':>12} {'avg in flight':>13}")
    for p in phases:
        span = p["end"] - p["start"]
        print(f"{p['key'][:34]:34} {p['n']:5} {p['start']:8.2f} {p['end']:8.2f} {span:7.2f} "
              f"{p['busy']:12.2f} {p['busy'] / span if span > 0 else 0:13.2f}")
    busy_union = 0.0
    last = 0.0
    for start, end, _ in sorted(events):
        if end > last:
            busy_union += end - max(start, last)
            last = end
    print(f"\ntotal {total:.2f} s, {len(events)} requests, at least one request in flight "
          f"{busy_union:.2f} s, none in flight {total - busy_union:.2f} s; exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
