#!/usr/bin/env python3
"""reads.py - how fast `tcms` reads a long history, and how well `tcms shard` balances it
(BENCHMARKS.md, "Reading the history back").

Usage (after history.py made the history; the same server variables):
  TCMS_API_URL=http://127.0.0.1:8096 TCMS_USERNAME=admin TCMS_PASSWORD=... \
      reads.py --manifest target/bench/history-<product>.json \
               [--tcms target/release/tcms] [--access-log KIWI_HOME/data/access.log] [--repeat 3]

1. Query speed: runs `tcms failing`, `tcms flaky --runs 10|50`, `tcms shard --total 4
   --index 1` (durations from the last 10 runs, the list from --tests) and `tcms history
   NAME`, REPEAT times each; reports the median wall time and the HTTP requests each made
   (lines the server's access log grew by, when --access-log is given).
2. Balance: for N = 2, 4, 8, 16, the split by history (`tcms shard --format json`) and the
   split by count (the same command for a product without history), each scored with the
   tests' true durations from the manifest (the base durations the history was generated
   around, i.e. what the next run will take on average): the longest shard against the ideal
   total / N, and against the best possible, max(total / N, the longest test).

Prints a markdown table per part on stdout. Standard library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def lines_of(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def run(cmd, env, access_log, stdin=None):
    before = lines_of(access_log)
    t0 = time.monotonic()
    out = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"reads.py: {' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    if access_log:
        time.sleep(0.5)  # gunicorn writes the access log line after the answer
    after = lines_of(access_log)
    requests = None if before is None else after - before
    return out, seconds, requests


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--tcms", default=os.path.join(ROOT, "target", "release", "tcms"))
    ap.add_argument("--access-log")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with open(a.manifest) as f:
        manifest = json.load(f)
    product = manifest["product"]
    truth = {t["name"]: t["seconds"] for t in manifest["tests"]}
    names = "\n".join(truth) + "\n"
    env = dict(os.environ, TCMS_PRODUCT=product)
    for var in ("TCMS_PRODUCT_VERSION", "TCMS_BUILD", "TCMS_RUN_ID", "TCMS_PLAN_ID", "TCMS_PROFILE"):
        env.pop(var, None)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(names)
        tests_file = f.name

    queries = [
        ("failing", [a.tcms, "failing"], None),
        ("flaky --runs 10", [a.tcms, "flaky", "--runs", "10"], None),
        ("flaky --runs 50", [a.tcms, "flaky", "--runs", "50"], None),
        ("shard --total 4 --index 1 (K = 10)", [a.tcms, "shard", "--total", "4", "--index", "1",
                                                 "--tests", tests_file], None),
        ("history NAME", [a.tcms, "history", manifest["tests"][0]["name"], "--limit", "50"], None),
    ]
    print(f"History: {product}, {len(manifest['runs'])} runs x {len(truth)} executions\n")
    print("| query | HTTP requests | wall s (median of %d) |" % a.repeat)
    print("|---|---|---|")
    for label, cmd, stdin in queries:
        times, requests = [], None
        for _ in range(a.repeat):
            _, seconds, requests = run(cmd, env, a.access_log, stdin)
            times.append(seconds)
        req = "?" if requests is None else str(requests)
        print(f"| `tcms {label}` | {req} | {statistics.median(times):.2f} |")

    total = sum(truth.values())
    longest_test = max(truth.values())
    print(f"\nBalance: {len(truth)} tests, {total:.0f} s in all, the longest {longest_test:.0f} s "
          f"(true durations)\n")
    print("| N | ideal (total / N) s | best possible s | longest shard, by history s | by count s | by history / ideal | by count / ideal |")
    print("|---|---|---|---|---|---|---|")
    for n in (2, 4, 8, 16):
        scores = []
        for scope in (product, f"{product}-no-history"):
            out, _, _ = run([a.tcms, "shard", "--product", scope, "--total", str(n), "--format", "json",
                             "--tests", tests_file], env, None)
            doc = json.loads(out.stdout)
            shards = [sum(truth[t] for t in s["tests"]) for s in doc["shards"]]
            assert sorted(t for s in doc["shards"] for t in s["tests"]) == sorted(truth), "exact cover"
            scores.append(max(shards))
        ideal = total / n
        best = max(ideal, longest_test)
        print(f"| {n} | {ideal:.0f} | {best:.0f} | {scores[0]:.0f} | {scores[1]:.0f} | "
              f"{scores[0] / ideal:.3f} | {scores[1] / ideal:.2f} |")
    os.unlink(tests_file)


if __name__ == "__main__":
    sys.exit(main())
