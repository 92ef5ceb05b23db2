#!/usr/bin/env python3
"""history.py - generate a long test history in a Kiwi TCMS, with batched JSON-RPC, for the
`tcms` read benchmarks (BENCHMARKS.md, "Reading the history back").

Usage:
  TCMS_API_URL=http://127.0.0.1:8096 TCMS_USERNAME=admin TCMS_PASSWORD=... \
      history.py [--runs 50] [--tests 2000] [--product NAME] [--profile linux]
                 [--batch 100] [--threads 4] [--manifest FILE]

  ... --orm KIWI_HOME      executions written in bulk into a scripts/kiwi-server instance

Creates one product (default `bench-history-<time>`), version v1, one build per run (b01..),
one plan with TESTS cases named `suite::group_NN::test_NNNN`, and RUNS runs of it, each tagged
`tcms-profile:<profile>` as the reporting engine tags them, with one execution per case:
status and start/stop dates as a report sets them. Everything goes through batched JSON-RPC
(BATCH calls per request, THREADS requests in flight), the executions too (TestRun.add_case,
then TestExecution.update with status and both dates): on a loaded 2-core machine about
60 ms per execution, i.e. well over an hour for 50 x 2,000.

With --orm KIWI_HOME (a Kiwi TCMS started by scripts/kiwi-server with that KIWI_HOME, on
this machine; KIWI_PG_PORT as for that instance) the executions alone are written with Kiwi's
own Django models in one bulk insert per run (`django-admin shell` in its virtualenv): the
same rows TestRun.add_case + TestExecution.update make (run, case, build, status, tester,
assignee, case_text_version, sortkey, dates), in seconds. Everything else still goes through
JSON-RPC.

What the history holds (deterministic, seed 14):
  * durations: skewed, base = 0.02 s * u^-1.5 (u uniform in (0, 1]), capped at 120 s, so a few
    tests take most of the time; each run jitters them by +-20 %;
  * outcomes: 0.5 % of the tests always fail (FAILED), 1.5 % are flaky (FAILED with
    probability 0.25, else PASSED), the rest pass.

Writes a manifest (default target/bench/history-<product>.json): the product, the run ids,
and every test's base duration (the ground truth the shard benchmark scores splits with).
Prints progress on stderr and one JSON line (counts, calls, seconds) on stdout.
Standard library only; uses floor.py's batched client.
"""
import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from floor import Rpc  # noqa: E402

SEED = 14


def tests_of(n, rng):
    """[(name, base seconds, kind)] with kind in pass / fail / flaky."""
    out = []
    for i in range(n):
        u = max(rng.random(), 1e-9)
        base = min(0.02 * u ** -1.5, 120.0)
        r = rng.random()
        kind = "fail" if r < 0.005 else "flaky" if r < 0.02 else "pass"
        out.append((f"suite::group_{i // 100:02d}::test_{i:04d}", round(base, 3), kind))
    return out


def fmt(at):
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


ORM_PROGRAM = """
import json
from tcms.testruns.models import TestExecution
with open(SPEC) as f:
    spec = json.load(f)
for run in spec["runs"]:
    TestExecution.objects.bulk_create([
        TestExecution(run_id=run["run"], case_id=case, build_id=run["build"], status_id=status,
                      tested_by_id=spec["me"], assignee_id=spec["me"], case_text_version=1,
                      sortkey=10 * (i + 1), start_date=start, stop_date=stop)
        for i, (case, status, start, stop) in enumerate(run["rows"])
    ], batch_size=1000)
"""


def bulk_insert(kiwi_home, runs, me):
    """The executions of `runs`, written with Kiwi's models in its own virtualenv."""
    import subprocess
    import tempfile
    data = os.path.join(kiwi_home, "data")
    settings = {}
    with open(os.path.join(data, "server.run")) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                settings[k] = v
    env = dict(os.environ, KIWI_LAB_DATA=data, KIWI_DB=settings.get("KIWI_DB", "sqlite"),
               KIWI_PG_PORT=os.environ.get("KIWI_PG_PORT", "54329"),
               DJANGO_SETTINGS_MODULE="kiwi_lab_settings",
               PYTHONPATH=os.path.join(data, "settings"))
    pg_password = os.path.join(data, "pg_password")
    if os.path.exists(pg_password):
        with open(pg_password) as f:
            env["KIWI_LAB_PG_PASSWORD"] = f.read().strip()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"me": me, "runs": runs}, spec)
    try:
        program = f"SPEC = {spec.name!r}\n" + ORM_PROGRAM
        subprocess.run([os.path.join(kiwi_home, "venv", "bin", "django-admin"), "shell", "-c", program],
                       env=env, check=True)
    finally:
        os.unlink(spec.name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--tests", type=int, default=2000)
    ap.add_argument("--product", default=f"bench-history-{int(time.time())}")
    ap.add_argument("--profile", default="linux")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--manifest")
    ap.add_argument("--orm", metavar="KIWI_HOME", help="write executions in bulk with Django (see above)")
    a = ap.parse_args()
    env = os.environ
    rng = random.Random(SEED)
    tests = tests_of(a.tests, rng)
    rpc = Rpc(env["TCMS_API_URL"], a.batch, a.threads)
    t0 = time.monotonic()
    calls = 0

    def log(msg):
        print(f"[history.py {time.monotonic() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    def many(batch):
        nonlocal calls
        calls += len(batch)
        out = rpc.many(batch)
        if rpc.errors:
            raise SystemExit(f"history.py: {rpc.errors[:3]}")
        return out

    me_, statuses, classes, plan_types, case_statuses, priorities = rpc.post([
        ("Auth.login", [env["TCMS_USERNAME"], env["TCMS_PASSWORD"]]),
        ("TestExecutionStatus.filter", [{}]),
        ("Classification.filter", [{}]),
        ("PlanType.filter", [{"name": "Integration"}]),
        ("TestCaseStatus.filter", [{"name": "CONFIRMED"}]),
        ("Priority.filter", [{"is_active": True}]),
    ])
    status = {s["name"]: s["id"] for s in statuses}
    if not classes:
        classes = [rpc.one("Classification.create", {"name": "unspecified"})]
    me = rpc.one("User.filter", {"username": env["TCMS_USERNAME"]})[0]["id"]
    pid = rpc.one("Product.create", {"name": a.product, "classification": classes[0]["id"]})["id"]
    vid = rpc.one("Version.create", {"product": pid, "value": "v1"})["id"]
    category = rpc.one("Category.filter", {"product": pid})[0]["id"]
    builds = many([("Build.create", [{"version": vid, "name": f"b{r + 1:02d}"}]) for r in range(a.runs)])
    plan = rpc.one("TestPlan.create", {
        "name": f"[bench] Plan for {a.product} (v1)", "text": "Created by scripts/bench/history.py",
        "product": pid, "product_version": vid, "is_active": True, "type": plan_types[0]["id"],
        "author": me,
    })["id"]
    cases = many([("TestCase.create", [{
        "summary": name, "category": category, "priority": min(p["id"] for p in priorities),
        "case_status": case_statuses[0]["id"], "is_automated": True,
    }]) for name, _, _ in tests])
    case_ids = [c["id"] for c in cases]
    many([("TestPlan.add_case", [plan, c]) for c in case_ids])
    log(f"product {a.product}: {len(case_ids)} cases in plan {plan}")

    tag = f"tcms-profile:{a.profile}"
    run_ids = []
    orm_runs = []
    start = datetime(2026, 1, 1)
    for r in range(a.runs):
        run_start = start + timedelta(hours=6 * r)
        run = rpc.one("TestRun.create", {
            "summary": f"[bench] Results for {a.product}, v1, b{r + 1:02d} [{a.profile}]",
            "plan": plan, "build": builds[r]["id"], "manager": me, "default_tester": me,
            "notes": f"Created by scripts/bench/history.py\nprofile: {a.profile}",
            "start_date": fmt(run_start),
        })["id"]
        calls += 2
        rpc.one("TestRun.add_tag", run, tag)
        rows = []
        at = run_start
        for case, (name, base, kind) in zip(case_ids, tests):
            seconds = base * (0.8 + 0.4 * rng.random())
            failed = kind == "fail" or (kind == "flaky" and rng.random() < 0.25)
            stop = at + timedelta(seconds=seconds)
            rows.append((case, status["FAILED" if failed else "PASSED"], fmt(at), fmt(stop)))
            at = stop
        if a.orm:
            orm_runs.append({"run": run, "build": builds[r]["id"], "rows": rows})
        else:
            executions = many([("TestRun.add_case", [run, c]) for c in case_ids])
            many([("TestExecution.update", [added[0]["id"], {
                "status": st, "start_date": begin, "stop_date": end,
            }]) for added, (_, st, begin, end) in zip(executions, rows)])
        rpc.one("TestRun.update", run, {"stop_date": fmt(at)})
        calls += 1
        run_ids.append(run)
        log(f"run {r + 1}/{a.runs}: TR-{run}")

    if orm_runs:
        bulk_insert(a.orm, orm_runs, me)
        log(f"{sum(len(r['rows']) for r in orm_runs)} executions written in bulk")

    manifest = a.manifest or os.path.join(ROOT, "target", "bench", f"history-{a.product}.json")
    os.makedirs(os.path.dirname(manifest), exist_ok=True)
    with open(manifest, "w") as f:
        json.dump({"product": a.product, "profile": a.profile, "plan": plan, "runs": run_ids,
                   "tests": [{"name": n, "seconds": s, "kind": k} for n, s, k in tests]}, f)
    summary = {"product": a.product, "runs": len(run_ids), "tests": len(tests),
               "executions": len(run_ids) * len(tests), "calls": calls, "requests": rpc.requests,
               "seconds": round(time.monotonic() - t0, 1), "manifest": manifest}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
