#!/usr/bin/env python3
"""Simulates Aurum sharded by blocking key: K independent resolver processes, each owning a
slice of the key space, on partitioned data (docs/SCALING.md).

Each record is routed to the shard(s) owning its routing keys; every shard is a separate
`aurum import` into its own store (at most JOBS at once); a record sent to several shards
ties their profiles together (union-find over shard-local profiles), which is how a sharded
deployment would join a person whose records land on different shards. The union is scored
against the generator's truth (pairwise precision, recall, F1) and each shard's CPU seconds and
peak RSS are reported, so the cost of the duplication and the accuracy lost at shard edges are
measured, not guessed.

Usage: bench/shard_sim.py GEN_DIR SHARDS MODE [JOBS]
  GEN_DIR  output of `aurum gen --single-source` (people.csv, people.yaml, truth.csv)
  MODE     record: one shard by record id (no co-location, the naive split)
           dob:    one shard by date of birth
           keys:   every shard owning one of the record's keys (date of birth, e-mail,
                   phone digits, surname initial + birth year)
Environment: AURUM (binary, default build/aurum), OUT (work directory, default bench/out/shards)
"""
import collections
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time


def shard_of(key, shards):
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


def routing_keys(row, mode):
    if mode == "record":
        return ["id:" + row["id"]]
    if mode == "dob":
        return ["dob:" + row["dob"]]
    keys = []
    if row["dob"]:
        keys.append("dob:" + row["dob"])
    if row["email"]:
        keys.append("email:" + row["email"].strip().lower())
    digits = re.sub(r"\D", "", row["phone"])
    if len(digits) >= 7:
        keys.append("phone:" + digits[-9:])
    if row["last_name"] and row["dob"]:
        keys.append("name:%s%s" % (row["last_name"].strip()[:1].lower(), row["dob"][:4]))
    return keys or ["id:" + row["id"]]


def partition(gen_dir, out, shards, mode):
    """Writes out/shard-S.csv; returns the shards of each record id and the rows per shard."""
    with open(os.path.join(gen_dir, "people.csv"), newline="") as f:
        reader = csv.DictReader(f)
        files = [open(os.path.join(out, "shard-%d.csv" % s), "w", newline="") for s in range(shards)]
        writers = [csv.DictWriter(fh, fieldnames=reader.fieldnames) for fh in files]
        for w in writers:
            w.writeheader()
        placed, rows = {}, [0] * shards
        for row in reader:
            targets = sorted({shard_of(k, shards) for k in routing_keys(row, mode)})
            for s in targets:
                writers[s].writerow(row)
                rows[s] += 1
            placed[row["id"]] = targets
        for fh in files:
            fh.close()
    return placed, rows


def run_shards(aurum, gen_dir, out, shards, jobs):
    """Imports every shard file into its own data directory, JOBS at a time."""
    stats, pending, running = {}, list(range(shards)), {}
    while pending or running:
        while pending and len(running) < jobs:
            s = pending.pop(0)
            data = os.path.join(out, "data-%d" % s)
            shutil.rmtree(data, ignore_errors=True)
            cmd = ["/usr/bin/time", "-f", "%U %S %M", aurum, "import", "--data", data,
                   "--config", os.path.join(gen_dir, "people.yaml"), "--source", "people",
                   os.path.join(out, "shard-%d.csv" % s)]
            err = open(os.path.join(out, "time-%d" % s), "w")
            running[s] = (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err), err)
        time.sleep(0.2)
        for s, (proc, err) in list(running.items()):
            if proc.poll() is None:
                continue
            err.close()
            if proc.returncode not in (0, 1):
                sys.exit("shard %d: aurum import exited %d" % (s, proc.returncode))
            last = open(os.path.join(out, "time-%d" % s)).read().split("\n")
            user, sys_s, rss = [l for l in last if re.match(r"^[\d.]+ [\d.]+ \d+$", l)][-1].split()
            stats[s] = (float(user) + float(sys_s), int(rss) // 1024)
            del running[s]
    return stats


def union_profiles(aurum, out, shards, placed):
    """Record id -> global cluster: shard-local profiles joined through shared records."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_node = {}
    for s in range(shards):
        listing = subprocess.run([aurum, "clusters", "--data", os.path.join(out, "data-%d" % s)],
                                 check=True, capture_output=True, text=True).stdout
        for row in csv.DictReader(listing.splitlines()):
            node = "%d:%s" % (s, row["profile_id"])
            rid = row["record_id"]
            if rid in first_node:
                parent[find(node)] = find(first_node[rid])
            else:
                first_node[rid] = node
    return {rid: find(node) for rid, node in first_node.items() if rid in placed}


def pairs(sizes):
    return sum(n * (n - 1) // 2 for n in sizes)


def score(truth_file, cluster_of):
    truth = {}
    with open(truth_file, newline="") as f:
        for row in csv.DictReader(f):
            truth[row["record_id"]] = row.get("person_id") or row["cluster"]
    both = collections.Counter((cluster_of.get(r, "single:" + r), t) for r, t in truth.items())
    predicted = collections.Counter(cluster_of.get(r, "single:" + r) for r in truth)
    true = collections.Counter(truth.values())
    tp, pp, tpairs = pairs(both.values()), pairs(predicted.values()), pairs(true.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tpairs if tpairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    gen_dir, shards, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    jobs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    aurum = os.environ.get("AURUM", "build/aurum")
    out = os.path.join(os.environ.get("OUT", "bench/out/shards"), "%s-%d" % (mode, shards))
    os.makedirs(out, exist_ok=True)
    placed, rows = partition(gen_dir, out, shards, mode)
    started = time.time()
    stats = run_shards(aurum, gen_dir, out, shards, jobs)
    wall = time.time() - started
    precision, recall, f1 = score(os.path.join(gen_dir, "truth.csv"),
                                  union_profiles(aurum, out, shards, placed))
    cpu = sum(c for c, _ in stats.values())
    print("mode %s, %d shards, %d records, %d rows routed (%.2f per record)"
          % (mode, shards, len(placed), sum(rows), sum(rows) / len(placed)))
    print("largest shard %d rows, smallest %d; CPU %.1f s in all, max shard RSS %d MB, "
          "wall %.1f s with %d at once" % (max(rows), min(rows), cpu,
                                           max(r for _, r in stats.values()), wall, jobs))
    print("pairwise precision %.4f recall %.4f F1 %.4f" % (precision, recall, f1))


if __name__ == "__main__":
    main()
