#!/usr/bin/env python3
"""Median latency of refused webhook calls: a known flow with a wrong secret vs a flow that does
not exist (docs/SECRETS.md: they take the same path). Loopback only; prints both medians.
Usage: bench/webhook_alike.py BUILD/aurum [N]"""
import json, os, statistics, subprocess, sys, tempfile, time, urllib.request

aurum, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500
d = tempfile.mkdtemp(prefix="aurum-bench-")
key = "au_bench_" + os.urandom(16).hex()
open(f"{d}/c.yaml", "w").write("outbound: {allow: [loopback]}\n")
p = subprocess.Popen([aurum, "serve", "--data", d, "--listen", "127.0.0.1:0", "--port-file",
                      f"{d}/port", "--config", f"{d}/c.yaml"], env={**os.environ,
                      "AURUM_ADMIN_KEY": key}, stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(f"{d}/port") or not open(f"{d}/port").read().strip():
        time.sleep(0.05)
    base = f"http://127.0.0.1:{open(f'{d}/port').read().strip()}"
    flow = "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\nsteps:\n  - file: {path: /dev/null, body: {}}\n"
    urllib.request.urlopen(urllib.request.Request(f"{base}/v1/flows/known", flow.encode(), method="PUT",
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/yaml"}))
    def call(name):
        req = urllib.request.Request(f"{base}/v1/hooks/{name}", b"{}", method="POST", headers={
            "X-Aurum-Timestamp": str(int(time.time())), "X-Aurum-Secret": "wrong-secret-00000000",
            "Content-Type": "application/json"})
        t = time.perf_counter()
        try:
            urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            body = e.read()
        return (time.perf_counter() - t) * 1e6, body
    known, unknown, bodies = [], [], set()
    for i in range(n):
        a, ba = call("known"); b, bb = call("unknown-flow")
        known.append(a); unknown.append(b); bodies |= {ba, bb}
    print(f"known flow, wrong secret: median {statistics.median(known):.0f} us")
    print(f"unknown flow:             median {statistics.median(unknown):.0f} us")
    print(f"distinct answer bodies: {len(bodies)}")
finally:
    p.terminate(); p.wait()
    subprocess.run(["rm", "-rf", d])
