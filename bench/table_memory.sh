#!/usr/bin/env bash
# Peak memory of loading a large plan table (runtime library, via `onnxcut
# select`) against its size on disk: 20,000 plans of 300 node names each
# and one table of 20,000 bands (~195 MB of JSON). docs/reliability.md.
set -euo pipefail
build=${1:-build}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$work/table.json" <<'PY'
import json, sys
plans = [{"id": i, "precision": "fp32", "device_nodes": [f"resnetv17_stage{j % 4}_conv{j}_fwd" for j in range(300)],
          "cut": [], "device_ms": 1.0 + i, "cloud_ms": 1.0, "up_bytes_fp32": 1000 + i, "up_bytes": 1000 + i,
          "down_bytes": 0, "head": None, "tail": None} for i in range(20000)]
bands = [{"min_mbps": 0.1 + i * 0.01, "max_mbps": 0.1 + (i + 1) * 0.01, "plan": i} for i in range(20000)]
json.dump({"format": "onnxcut.plan-table", "version": 1, "network": {"rtt_ms": 0, "down_mbps": None}, "plans": plans,
           "tables": [{"objective": "latency", "server_load": 1.0, "precision": "fp32", "bands": bands}]},
          open(sys.argv[1], "w"))
PY
size=$(stat -c %s "$work/table.json")
rss_kb=$( { /usr/bin/time -f "%M" "$build/onnxcut" select "$work/table.json" --mbps 5 > /dev/null; } 2>&1 | tail -1)
python3 -c "import sys; s, r = int(sys.argv[1]), int(sys.argv[2]) * 1024; print(f'plan table {s / 1e6:.0f} MB: peak RSS {r / 1e6:.0f} MB = {r / s:.2f}x its size')" "$size" "$rss_kb"
