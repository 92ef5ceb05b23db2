#!/usr/bin/env python3
"""floor.py - the "minimal batched client": the fewest requests a junit.xml report needs.

The reference our plugins are measured against (research: python-plugins-measured.md §5).
It does only what is necessary, phase by phase, with JSON-RPC batches of BATCH calls and up to
THREADS requests in flight:

  1. one batch: Auth.login + every reference lookup (statuses, priority, case statuses,
     classification, plan type, the product by name)
  2. the Product / Version / Build / TestPlan / TestRun chain (create what is missing; each
     step depends on the id of the one before, so a few small requests)
  3. TestCase.filter({"summary__in": [...500 names], "category__product": p}), batched
  4. TestCase.create for the missing names
  5. TestPlan.add_case (new cases only) + TestRun.add_case (all), one call list
  6. TestExecution.update(status) for every execution + TestExecution.add_comment for the
     non-passing ones, one call list
  7. TestRun.update(stop_date)

Usage:
  TCMS_API_URL=http://127.0.0.1:8095 TCMS_USERNAME=admin TCMS_PASSWORD=... \
  TCMS_PRODUCT=p TCMS_PRODUCT_VERSION=v TCMS_BUILD=b \
      floor.py [--batch 100] [--threads 4] [--json OUT] junit.xml

Prints one JSON line: run id, counts, requests, seconds per phase. Exit 1 if any call failed.
Standard library only. Not a product: no retries, no escaping subtleties beyond what the
benchmark input needs (JSON-RPC results are HTML-unescaped before names are compared).
"""
import argparse
import html
import http.client
import json
import os
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

PREFIX = "[junit.xml]"
CREATED_BY = "Created by floor.py (benchmark reference)"


class Rpc:
    def __init__(self, url, batch, threads):
        base = url.rstrip("/")
        for suffix in ("/json-rpc", "/xml-rpc"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        u = urllib.parse.urlsplit(base)
        if u.scheme != "http":
            raise SystemExit("floor.py: only http:// URLs (benchmark on loopback)")
        self.host, self.port = u.hostname, u.port or 80
        self.path = (u.path or "") + "/json-rpc/"
        self.batch, self.threads = batch, threads
        self.cookie = None
        self.requests = 0
        self.errors = []

    def post(self, calls):
        """One HTTP request with a batch of (method, params); returns the results in order."""
        body = json.dumps([
            {"jsonrpc": "2.0", "method": m, "params": p, "id": i + 1} for i, (m, p) in enumerate(calls)
        ]).encode()
        headers = {"Content-Type": "application/json", "Referer": f"{calls[0][0]}@floor"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        try:
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie" and v.startswith("sessionid="):
                    self.cookie = v.split(";", 1)[0]
        finally:
            conn.close()
        self.requests += 1
        answers = json.loads(data)
        if isinstance(answers, dict):
            raise SystemExit(f"floor.py: batch refused: {answers}")
        by_id = {a.get("id"): a for a in answers}
        out = []
        for i, (m, _) in enumerate(calls):
            a = by_id.get(i + 1, {"error": {"message": "no answer"}})
            if "error" in a:
                self.errors.append(f"{m}: {a['error'].get('message')}")
                out.append(None)
            else:
                out.append(unescape(a["result"]))
        return out

    def many(self, calls):
        """All calls, in batches of self.batch, self.threads requests in flight."""
        if not calls:
            return []
        chunks = [calls[i:i + self.batch] for i in range(0, len(calls), self.batch)]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            parts = list(pool.map(self.post, chunks))
        return [r for part in parts for r in part]

    def one(self, method, *params):
        return self.post([(method, list(params))])[0]


def unescape(v):
    if isinstance(v, str):
        return html.unescape(v)
    if isinstance(v, list):
        return [unescape(x) for x in v]
    if isinstance(v, dict):
        return {k: unescape(x) for k, x in v.items()}
    return v


def read_junit(path):
    """[(summary, status, comment-or-None)] in file order (summary = classname.name)."""
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        summary = f"{case.get('classname')}.{case.get('name')}"[:255].strip()
        status, comment = "PASSED", None
        for child in case:
            tag = child.tag
            if tag in ("failure", "error", "skipped"):
                status = {"failure": "FAILED", "error": "ERROR", "skipped": "WAIVED"}[tag]
                comment = f"{child.get('message') or ''}\n{child.text or ''}".strip() or tag
                break
        out.append((summary, status, comment))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--batch", type=int, default=100, help="calls per POST (default 100)")
    ap.add_argument("--threads", type=int, default=4, help="requests in flight (default 4)")
    ap.add_argument("--lookup-chunk", type=int, default=500, help="names per summary__in lookup")
    ap.add_argument("--json", help="also write the result JSON to this file")
    a = ap.parse_args()
    env = os.environ
    product, version, build = env["TCMS_PRODUCT"], env["TCMS_PRODUCT_VERSION"], env["TCMS_BUILD"]
    t0 = time.monotonic()
    phases = {}

    def phase(name, since):
        now = time.monotonic()
        phases[name] = round(now - since, 3)
        return now

    results = read_junit(a.file)
    t = phase("parse", t0)
    rpc = Rpc(env["TCMS_API_URL"], a.batch, a.threads)

    # 1. login + lookups: one request
    statuses, priorities, case_statuses, classes, plan_types, products, users = rpc.post([
        ("Auth.login", [env["TCMS_USERNAME"], env["TCMS_PASSWORD"]]),
        ("TestExecutionStatus.filter", [{}]),
        ("Priority.filter", [{"is_active": True}]),
        ("TestCaseStatus.filter", [{"name": "CONFIRMED"}]),
        ("Classification.filter", [{}]),
        ("PlanType.filter", [{"name": "Integration"}]),
        ("Product.filter", [{"name": product}]),
        ("User.filter", [{"username": env["TCMS_USERNAME"]}]),
    ])[1:]
    if rpc.errors:
        raise SystemExit(f"floor.py: {rpc.errors}")
    status_id = {s["name"]: s["id"] for s in statuses}
    priority = min(p["id"] for p in priorities)
    confirmed = case_statuses[0]["id"]
    me = users[0]["id"]

    # 2. the chain
    if products:
        pid = min(p["id"] for p in products)
    else:
        if not classes:
            classes = [rpc.one("Classification.create", {"name": "unspecified"})]
        pid = rpc.one("Product.create", {"name": product, "classification": min(c["id"] for c in classes)})["id"]
    plan_name = f"{PREFIX} Plan for {product} ({version})"
    versions, categories = rpc.post([
        ("Version.filter", [{"product": pid, "value": version}]),
        ("Category.filter", [{"product": pid, "name": "--default--"}]),
    ])
    vid = min(v["id"] for v in versions) if versions else rpc.one("Version.create", {"product": pid, "value": version})["id"]
    category = categories[0]["id"] if categories else rpc.one("Category.create", {"product": pid, "name": "--default--"})["id"]
    builds, plans = rpc.post([
        ("Build.filter", [{"version": vid, "name": build}]),
        ("TestPlan.filter", [{"name": plan_name, "product": pid, "product_version": vid}]),
    ])
    bid = min(b["id"] for b in builds) if builds else rpc.one("Build.create", {"version": vid, "name": build})["id"]
    if plans:
        plan = min(p["id"] for p in plans)
    else:
        if not plan_types:
            plan_types = [rpc.one("PlanType.create", {"name": "Integration"})]
        plan = rpc.one("TestPlan.create", {
            "name": plan_name, "text": CREATED_BY, "product": pid, "product_version": vid,
            "is_active": True, "type": plan_types[0]["id"],
        })["id"]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    run = rpc.one("TestRun.create", {
        "summary": f"{PREFIX} Results for {product}, {version}, {build}", "plan": plan,
        "build": bid, "start_date": now, "notes": CREATED_BY, "manager": me, "default_tester": me,
    })
    if run is None:
        raise SystemExit(f"floor.py: {rpc.errors}")
    run = run["id"]
    if rpc.errors:
        raise SystemExit(f"floor.py: {rpc.errors}")
    t = phase("setup", t)

    # 3. bulk case lookup
    names = list(dict.fromkeys(s for s, _, _ in results))
    chunks = [names[i:i + a.lookup_chunk] for i in range(0, len(names), a.lookup_chunk)]
    found = {}
    for cases in rpc.many([("TestCase.filter", [{"summary__in": c, "category__product": pid}]) for c in chunks]):
        for case in cases or []:
            if case["summary"] not in found or case["id"] < found[case["summary"]]:
                found[case["summary"]] = case["id"]
    t = phase("lookup", t)

    # 4. create the missing cases
    missing = [n for n in names if n not in found]
    made = rpc.many([("TestCase.create", [{
        "summary": n, "category": category, "priority": priority, "case_status": confirmed,
        "is_automated": True, "notes": CREATED_BY,
    }]) for n in missing])
    new_ids = []
    for n, case in zip(missing, made):
        if case:
            found[n] = case["id"]
            new_ids.append(case["id"])
    t = phase("create", t)

    # 5. plan (new cases only) and run membership
    calls = [("TestPlan.add_case", [plan, cid]) for cid in new_ids]
    calls += [("TestRun.add_case", [run, found[n]]) for n in names if n in found]
    answers = rpc.many(calls)
    execution = {}
    for (method, params), answer in zip(calls, answers):
        if method == "TestRun.add_case" and answer:
            execution[params[1]] = answer[0]["id"]
    t = phase("add", t)

    # 6. statuses and comments
    calls = []
    for summary, status, comment in results:
        eid = execution.get(found.get(summary))
        if eid is None:
            continue
        calls.append(("TestExecution.update", [eid, {"status": status_id[status]}]))
        if comment:
            calls.append(("TestExecution.add_comment", [eid, comment]))
    rpc.many(calls)
    t = phase("update", t)

    rpc.one("TestRun.update", run, {"stop_date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")})
    phase("finish", t)
    out = {
        "run_id": run, "plan_id": plan, "product_id": pid, "results": len(results),
        "cases_created": len(new_ids), "executions": len(execution), "requests": rpc.requests,
        "errors": len(rpc.errors), "first_errors": rpc.errors[:5], "batch": a.batch,
        "threads": a.threads, "seconds": round(time.monotonic() - t0, 3), "phases": phases,
    }
    text = json.dumps(out)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    return 1 if rpc.errors else 0


if __name__ == "__main__":
    sys.exit(main())
