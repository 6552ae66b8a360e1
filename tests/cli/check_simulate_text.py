"""Checks `onnxcut simulate` text output read from stdin: the header counts
the frames asked for (argv[1]); every policy has a row with numbers; the
oracle is never beaten; device-only sends nothing and never switches; fixed
plans never switch; percentiles are ordered; nothing is dropped at a
frame rate every plan sustains."""
import re
import sys

text = sys.stdin.read()
frames = int(sys.argv[1])
assert re.search(rf"\b{frames} frames at ", text), f"header does not count {frames} frames:\n{text}"
rows = {}
for line in text.splitlines():
    m = re.match(r"^(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+ \S+)\s+(\d+)\s+(\d+)$", line)
    if m:
        rows[m[1]] = dict(mean=float(m[2]), p50=float(m[3]), p95=float(m[4]), fps=float(m[5]), sent=m[6],
                          switches=int(m[7]), dropped=int(m[8]))
expected = {"device-only", "cloud-only", "best-static", "chain-only", "adaptive", "oracle"}
assert set(rows) == expected, f"policies {sorted(rows)} != {sorted(expected)}:\n{text}"
best = min(r["mean"] for r in rows.values())
assert rows["oracle"]["mean"] <= best + 0.005, f"oracle {rows['oracle']['mean']} beaten by {best}"
assert rows["device-only"]["sent"] == "0 B" and rows["device-only"]["switches"] == 0, rows["device-only"]
for name in ("device-only", "cloud-only", "best-static"):
    assert rows[name]["switches"] == 0, (name, rows[name])
for name, r in rows.items():
    assert 0 < r["mean"] and r["p50"] <= r["p95"], (name, r)
    assert r["dropped"] == 0, (name, r)
print(f"simulate text ok: {len(rows)} policies, oracle {rows['oracle']['mean']} ms")
