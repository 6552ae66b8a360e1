#!/usr/bin/env python3
"""Synthetic per-node costs from `onnxcut inspect --json` (stdin) as a costs
CSV (stdout), for models that have no measured costs. Used by tests and
benchmarks only; not a hardware model.

  size (default): device time grows with the bytes a node writes
                  (0.02 ms + bytes / 200 kB per ms); the cloud is 30x faster.
  ramp:           the same, times 1 + 20 (i/n)^2 for the i-th of n nodes, so
                  later layers are dearer on the device and the best cut moves
                  through the graph as the bandwidth changes."""
import json, sys

args = sys.argv[1:]
scale = 1.0
if "--device-scale" in args:  # multiplies device times (a faster or slower device)
    i = args.index("--device-scale")
    scale = float(args[i + 1])
    del args[i:i + 2]
rule = args[0] if args else "size"
if rule not in ("size", "ramp") or not scale > 0:
    sys.exit("size_costs.py: usage: size_costs.py [size|ramp] [--device-scale X] < inspect.json")
info = json.load(sys.stdin)
nodes = info["per_node"]
print("node,device_ms,cloud_ms")
for i, n in enumerate(nodes):
    dev = 0.02 + (n["output_bytes"] or 0) / 2e5
    if rule == "ramp":
        dev *= 1 + 20 * (i / max(1, len(nodes))) ** 2
    key = n["node"]
    if any(c in key for c in ',"'):
        key = '"' + key.replace('"', '""') + '"'
    print(f"{key},{dev * scale:.6f},{dev / 30:.6f}")
