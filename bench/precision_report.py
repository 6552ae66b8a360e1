#!/usr/bin/env python3
"""precision_report.py TABLE.json [TABLE.json ...]: the docs/precision.md
tables from calibrated plan tables (onnxcut plan --calibration --max-loss).

Per model and budget, at a few uplink bandwidths: the mixed-width plan the
budget's table picks (widths, bytes sent, predicted latency, measured loss
held back) against the best fp32/fp16/int8 table plan whose measured loss
meets the same budget, and the fp32 plan. Standard library only."""
import json
import sys

BANDWIDTHS = [2, 10, 50, 200]


def plan_at(table, mbps):
    for b in table["bands"]:
        if b["min_mbps"] <= mbps <= b["max_mbps"]:
            return b["plan"]
    return table["bands"][-1]["plan"]


def latency(t, p, mbps):
    down = t["network"]["down_mbps"] or mbps
    uses_cloud = p["cloud_ms"] > 0 or p["up_bytes_fp32"] > 0
    return (p["device_ms"] + p["cloud_ms"] + p["up_bytes"] * 8 / (mbps * 1e6) * 1000
            + p["down_bytes"] * 8 / (down * 1e6) * 1000 + (t["network"]["rtt_ms"] if uses_cloud else 0))


def size(b):
    return "%.0f B" % b if b < 1024 else "%.1f KiB" % (b / 1024) if b < 1024 * 1024 else "%.2f MiB" % (b / 1048576)


def worst(p):
    return max(p["loss"]["fit"], p["loss"]["held_out"])


def widths(p):
    if p["precision"] != "mixed":
        return p["precision"]
    bits = [c["bits"] for c in p["cut"]]
    if not bits:
        return "-"
    return ",".join(str(b) for b in bits[:4]) + (" +%d" % (len(bits) - 4) if len(bits) > 4 else "")


def where(p, nodes):
    n = len(p["device_nodes"])
    return "all device" if n == nodes else "all cloud" if n == 0 else "%d/%d on device" % (n, nodes)


def report(path):
    t = json.load(open(path))
    plans = {p["id"]: p for p in t["plans"]}
    nodes = t["model"]["nodes"]
    cal = t["calibration"]
    tables = [x for x in t["tables"] if x["objective"] == "latency" and x["server_load"] == 1]
    single = [x for x in tables if x["precision"] != "mixed"]
    fp32 = next(x for x in single if x["precision"] == "fp32")
    print("### %s\n" % t["model"]["file"])
    print("metric `%s`, %d samples (%d fitted, %d held back), costs %s -> %s, RTT %g ms; calibration %d ONNX Runtime "
          "runs, %.1f s\n" % (cal["metric"], cal["samples"], len(cal["fit"]), len(cal["held_out"]), t["costs"]["device"],
                             t["costs"]["cloud"], t["network"]["rtt_ms"], cal["runs"], cal["seconds"]))
    print("| budget | Mbit/s | mixed plan | widths | sent | latency ms | loss held (fit) | best single-precision within budget | sent | latency ms | loss held | fp32 plan sent | fp32 latency ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mt in [x for x in tables if x["precision"] == "mixed"]:
        for mbps in BANDWIDTHS:
            m = plans[plan_at(mt, mbps)]
            best = None
            for st in single:
                p = plans[plan_at(st, mbps)]
                if worst(p) <= mt["max_loss"] and (best is None or latency(t, p, mbps) < latency(t, best, mbps)):
                    best = p
            f = plans[plan_at(fp32, mbps)]
            print("| %g | %g | %s | %s | %s | %.1f | %.4g (%.4g) | %s | %s | %.1f | %.4g | %s | %.1f |" % (
                mt["max_loss"], mbps, where(m, nodes), widths(m), size(m["up_bytes"]), latency(t, m, mbps),
                m["loss"]["held_out"], m["loss"]["fit"],
                "%s, %s" % (best["precision"], where(best, nodes)) if best else "none",
                size(best["up_bytes"]) if best else "-", latency(t, best, mbps) if best else float("nan"),
                best["loss"]["held_out"] if best else float("nan"), size(f["up_bytes"]), latency(t, f, mbps)))
    # Data reduction (DynO's headline is up to 60x less data than sending the fp32 input).
    raw = sum(i["shape"] and eval("*".join(str(d) for d in i["shape"])) * 4 for i in t["model"]["inputs"])
    best_ratio, best_same = 0, 0
    for p in t["plans"]:
        if p["precision"] == "mixed" and p["up_bytes"] > 0:
            best_ratio = max(best_ratio, raw / p["up_bytes"])
            best_same = max(best_same, p["up_bytes_fp32"] / p["up_bytes"])
    print("\nLargest reduction of a mixed plan: %.1fx fewer bytes than the fp32 input (%s), %.1fx fewer than its own "
          "cut at fp32.\n" % (best_ratio, size(raw), best_same))


for path in sys.argv[1:]:
    report(path)
