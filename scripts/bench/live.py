#!/usr/bin/env python3
"""scripts/bench/live.py - live progress latency: how long after a test's start or result the
three live reporters have it in Kiwi TCMS (median, p95, max).

Usage:
  scripts/bench/live.py                        # 12.4 (the benchmark's own instance), writes BENCHMARKS.md
  scripts/bench/live.py --server 16.2 --no-md  # against Kiwi 16.2, tables on stdout only
  scripts/bench/live.py --trials 200 --no-build --keep-server

What it measures, each against a new product (so runs never share data):
  * harness: target/release/examples/live_latency (plugin-cargo-test/examples), TCMS_REPORT=1,
    --trials fast trials (no work) on --test-threads=2; latencies from the trial's end (or
    start, for RUNNING) to Kiwi's answer, as the live reporter records them (BENCH_OUT JSON);
  * tcms-tap --live: --trials TAP lines written into its stdin at --rate lines per second,
    then a "quiet" series: --quiet results, each followed by --quiet-gap seconds of silence
    (a result then waits for the 300 ms quiet time); latency from the moment tcms-tap read
    the line to Kiwi's answer, from its `-v` line "live: N result(s) in Kiwi after median ...";
  * tcms-cargo-test --live: the same two series as libtest output (`running N tests`,
    `test NAME ... ok`), same `-v` line.

Every figure comes from the program's own clock (std::time::Instant, read right after the
line arrived / the trial ended, and when Kiwi answered the batch); nothing polls the server.
Results: target/bench/live.jsonl (one row per series); the table goes into BENCHMARKS.md
between the live-latency markers unless --no-md. The Kiwi instance is the one scripts/bench/run
uses (12.4: PostgreSQL on port 8095; 16.2: SQLite on 8097).
"""
import argparse
import datetime
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "target", "bench")
ROWS = os.path.join(OUT, "live.jsonl")
MD = os.path.join(ROOT, "BENCHMARKS.md")
BEGIN, END = "<!-- live-latency:begin -->", "<!-- live-latency:end -->"
RELEASE = os.path.join(ROOT, "target", "release")

sys.dont_write_bytecode = True
# The benchmark's servers, launcher and checks client: scripts/bench/run's.
_loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(HERE, "run"))
_spec = importlib.util.spec_from_loader("bench_run", _loader)
bench = importlib.util.module_from_spec(_spec)
_loader.exec_module(bench)

LINE = re.compile(
    r"live: (\d+) result\(s\) in Kiwi after median (\d+) ms, p95 (\d+) ms, max (\d+) ms")


def log(msg):
    print(f"[live-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rank(values, p):
    """Nearest rank, as tcms_api::live::Latencies does."""
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))
    return s[k - 1]


def figures(values_ms):
    return {"n": len(values_ms), "median_ms": rank(values_ms, 50),
            "p95_ms": rank(values_ms, 95), "max_ms": rank(values_ms, 100)}


def env_for(server, product):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCMS_")}
    env.update({
        "TCMS_API_URL": server["url"], "TCMS_USERNAME": server["user"],
        "TCMS_PASSWORD": server["password"], "TCMS_PRODUCT": product,
        "TCMS_PRODUCT_VERSION": "v1", "TCMS_BUILD": "b1",
        # No ~/.tcms.conf of the person running this.
        "HOME": tempfile.mkdtemp(prefix="live-bench-home-"),
    })
    return env


def harness(server, trials, product):
    out = os.path.join(OUT, "live-harness.json")
    env = env_for(server, product)
    env.update({"TCMS_REPORT": "1", "BENCH_TRIALS": str(trials), "BENCH_WORK_MS": "0",
                "BENCH_OUT": out})
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(RELEASE, "examples", "live_latency"), "--test-threads=2"],
                       env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(f"live_latency exited {r.returncode}")
    doc = json.load(open(out))
    rows = []
    for key, what in (("latencies", "result"), ("running_latencies", "RUNNING")):
        ms = [round(x * 1000) for x in doc[key]]
        if ms:
            rows.append({"command": "harness (TCMS_REPORT=1)",
                         "series": f"{trials} fast trials, 2 threads: {what}",
                         "wall_s": round(wall, 1), **figures(ms)})
    return rows


def feed(cmd, env, lines_at, name):
    """Runs `cmd` -v, writing (delay_before, line) pairs into its stdin; returns the parsed
    latency line and the wall time."""
    p = subprocess.Popen(cmd + ["-v"], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = []
    t = threading.Thread(target=lambda: err.extend(p.stderr), daemon=True)
    t.start()
    t0 = time.monotonic()
    for delay, line in lines_at:
        if delay:
            time.sleep(delay)
        p.stdin.write(line)
        p.stdin.flush()
    p.stdin.close()
    code = p.wait()
    t.join()
    wall = time.monotonic() - t0
    text = "".join(err)
    m = None
    for m in LINE.finditer(text):
        pass
    if code not in (0, 1) or m is None:
        sys.stderr.write(text[-3000:])
        raise SystemExit(f"{name}: exit {code}, no latency line")
    n, med, p95, mx = (int(x) for x in m.groups())
    return {"n": n, "median_ms": med, "p95_ms": p95, "max_ms": mx, "wall_s": round(wall, 1)}


def tap_series(n, rate, quiet, gap):
    head = lambda count: [(0, "TAP version 13\n"), (0, f"1..{count}\n")]
    paced = head(n) + [(1.0 / rate, f"ok {i} - paced {i:05}\n") for i in range(1, n + 1)]
    sparse = head(quiet) + [(gap if j else 0, f"ok {j + 1} - quiet {j:03}\n")
                            for j in range(quiet)]
    return [(f"{n} results at {rate:g}/s", paced), (f"{quiet} results, {gap:g} s apart", sparse)]


def libtest_series(n, rate, quiet, gap):
    head = lambda count: [(0, f"\nrunning {count} tests\n")]
    end = lambda count: [(0, f"\ntest result: ok. {count} passed; 0 failed; 0 ignored; "
                             "0 measured; 0 filtered out; finished in 1.00s\n\n")]
    paced = head(n) + [(1.0 / rate, f"test paced::t{i:05} ... ok\n") for i in range(n)] + end(n)
    sparse = (head(quiet) + [(gap if j else 0, f"test quiet::t{j:03} ... ok\n")
                             for j in range(quiet)] + end(quiet))
    return [(f"{n} results at {rate:g}/s", paced), (f"{quiet} results, {gap:g} s apart", sparse)]


def piped(server, name, cmd, series, product_base):
    rows = []
    for i, (label, lines) in enumerate(series):
        r = feed(cmd, env_for(server, f"{product_base}-{name}-{i}"), lines, name)
        rows.append({"command": f"{name} --live", "series": label, **r})
    return rows


def markdown(rows, meta):
    out = [f"Measured {meta['date']} against Kiwi TCMS {meta['kiwi_version']} "
           f"({meta['db']}, {meta['workers']} gunicorn workers) on {meta['machine']}, "
           f"commit {meta['commit']}, by `{meta['command']}`. Latency: from the test's end "
           "(or start, for RUNNING), or from the moment the command read the line, to Kiwi's "
           "answer to the batch that carried it.",
           "",
           "| command | series | results | median | p95 | max | wall |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['command']} | {r['series']} | {r['n']} | {r['median_ms']} ms | "
                   f"{r['p95_ms']} ms | {r['max_ms']} ms | {r['wall_s']} s |")
    return "\n".join(out)


def write_md(text):
    with open(MD) as f:
        md = f.read()
    if BEGIN not in md:
        raise SystemExit(f"BENCHMARKS.md has no {BEGIN} marker")
    head, rest = md.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(MD, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", choices=sorted(bench.SERVERS), default="12.4")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100, help="paced lines per second")
    ap.add_argument("--quiet", type=int, default=10, help="results of the quiet series")
    ap.add_argument("--quiet-gap", type=float, default=2.0, help="seconds between them")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-md", action="store_true")
    ap.add_argument("--keep-server", action="store_true")
    a = ap.parse_args()
    bench.select_server(a.server)
    os.makedirs(OUT, exist_ok=True)
    if not a.no_build:
        log("cargo build --release (tcms-tap, tcms-cargo-test, example live_latency)")
        bench.sh(["cargo", "build", "--release", "-q", "-p", "tcms-tap", "-p", "tcms-cargo-test",
                  "--bins", "--example", "live_latency"], capture=False)
    log("starting the benchmark Kiwi")
    url = bench.kiwi_server("start").strip()
    creds = dict(re.findall(r"export (KIWI_[A-Z_]+)='([^']*)'", bench.kiwi_server("env")))
    server = {"url": url, "user": creds["KIWI_ADMIN_USER"],
              "password": creds["KIWI_ADMIN_PASSWORD"]}
    kiwi = bench.Kiwi(url, server["user"], server["password"])
    meta = {
        "date": datetime.date.today().isoformat(),
        "kiwi_version": kiwi.call("KiwiTCMS.version"),
        "db": bench.pg_version() if bench.KIWI_ENV["KIWI_DB"] == "postgres"
        else bench.sqlite_version(),
        "workers": bench.KIWI_ENV["KIWI_WORKERS"],
        "machine": bench.machine(),
        "commit": bench.commit(),
        "command": "scripts/bench/live.py" + "".join(" " + x for x in sys.argv[1:]),
    }
    base = f"live-bench-{int(time.time())}"
    rows = []
    try:
        log(f"harness: {a.trials} fast trials")
        rows += harness(server, a.trials, base + "-harness")
        log("tcms-tap --live")
        rows += piped(server, "tcms-tap", [os.path.join(RELEASE, "tcms-tap"), "--live"],
                      tap_series(a.trials, a.rate, a.quiet, a.quiet_gap), base)
        log("tcms-cargo-test --live")
        rows += piped(server, "tcms-cargo-test",
                      [os.path.join(RELEASE, "tcms-cargo-test"), "--live"],
                      libtest_series(a.trials, a.rate, a.quiet, a.quiet_gap), base)
    finally:
        if not a.keep_server:
            bench.kiwi_server("stop")
    with open(ROWS, "a") as f:
        for r in rows:
            f.write(json.dumps({**r, **meta, "server": a.server}) + "\n")
    text = markdown(rows, meta)
    print(text)
    if not a.no_md:
        write_md(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
