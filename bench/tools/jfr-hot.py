#!/usr/bin/env python3
"""Top methods of a JFR recording: self (top frame) and total (anywhere on the stack), from jdk.ExecutionSample.
Usage: bench/tools/jfr-hot.py recording.jfr [N] [thread-substring]"""
import collections, json, subprocess, sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
only = sys.argv[3] if len(sys.argv) > 3 else None
out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", "--stack-depth", "64", path],
                     check=True, capture_output=True, text=True).stdout
events = json.loads(out)["recording"]["events"]
selfc, total, threads = collections.Counter(), collections.Counter(), collections.Counter()
n = 0
for e in events:
    v = e["values"]
    thread = (v.get("sampledThread") or {}).get("javaName") or "?"
    if only and only not in thread:
        continue
    n += 1
    threads[thread] += 1
    frames = (v.get("stackTrace") or {}).get("frames") or []
    names = []
    for f in frames:
        m = f["method"]
        names.append(m["type"]["name"].split(".")[-1] + "." + m["name"])
    if names:
        selfc[names[0]] += 1
    for name in set(names):
        total[name] += 1
print(f"{n} samples")
print("threads:", ", ".join(f"{t} {c}" for t, c in threads.most_common(8)))
print("\nself:")
for name, c in selfc.most_common(top):
    print(f"{100*c/n:5.1f}%  {name}")
print("\ntotal:")
for name, c in total.most_common(top * 2):
    print(f"{100*c/n:5.1f}%  {name}")
