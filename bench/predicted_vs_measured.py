"""Tables and a figure from bench/predicted_vs_measured.sh's runs.

  predicted_vs_measured.py collect WORK MODEL "RATES" OUT TRACE_NAME
      adds MODEL's rows to OUT/rows.json (per rate and plan: predicted and
      measured mean latency, whether the table picks the plan) and its trace
      replay to OUT/traces.json. Predictions and the table's choice come
      from the runtime library (the Node.js addon), not from a second copy
      of the cost model.
  predicted_vs_measured.py report OUT K FRAMES
      prints the markdown tables and writes OUT/measured.svg.
"""
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


WARMUP = 2  # frames dropped per run: the first loads the head, the second still warms ORT up


def mean_ms(path):
    rows = list(csv.DictReader(open(path)))[WARMUP:]
    vals = [float(r["total_ms"]) for r in rows]
    return sum(vals) / len(vals) if vals else float("nan"), len(vals)


def library(table, rates, plans):
    js = """
const a = require(process.env.ONNXCUT_NODE_ADDON);
const [table, rates, plans] = [process.argv[1], JSON.parse(process.argv[2]), JSON.parse(process.argv[3])];
const t = a.tableLoad(table);
const out = {};
for (const r of rates) {
  out[r] = { pick: a.select(t, { mbps: r, load: 1, precision: 'fp32' }).plan, predicted: {} };
  for (const p of plans) out[r].predicted[p] = a.predict(t, p, r, 1).latency_ms;
}
console.log(JSON.stringify(out));"""
    res = subprocess.run(["node", "-e", js, table, json.dumps(rates), json.dumps(plans)], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout)


def collect(work, model, rates, out, trace_name):
    rates = [float(r) for r in rates.split()]
    files = [f for f in os.listdir(work) if f.startswith("r") and f.endswith(".csv")]
    plans = sorted({int(f.split("_p")[1][:-4]) for f in files})
    lib = library(os.path.join(work, "plan", "plan-table.json"), rates, plans)
    rows = json.load(open(os.path.join(out, "rows.json")))
    for r in rates:
        for p in plans:
            f = os.path.join(work, f"r{r:g}_p{p}.csv")
            if not os.path.exists(f):
                continue
            m, n = mean_ms(f)
            rows.append({"model": model, "mbps": r, "plan": p, "predicted_ms": lib[str(r) if str(r) in lib else f"{r:g}"]["predicted"][str(p)],
                         "measured_ms": m, "frames": n, "picked": lib[str(r) if str(r) in lib else f"{r:g}"]["pick"] == p})
    json.dump(rows, open(os.path.join(out, "rows.json"), "w"), indent=1)
    traces = json.load(open(os.path.join(out, "traces.json")))
    entry = {"model": model, "trace": trace_name}
    for policy in ("adaptive", "device-only", "cloud-only"):
        f = os.path.join(work, f"trace_{policy}.json")
        if os.path.exists(f):
            s = json.load(open(f))
            entry[policy] = {"mean_ms": s["mean_ms"], "p95_ms": s["p95_ms"], "frames": s["frames"], "switches": s["switches"],
                             "plans_used": s["plans_used"]}
    if len(entry) > 2:
        traces.append(entry)
    json.dump(traces, open(os.path.join(out, "traces.json"), "w"), indent=1)


def svg(rows, path):
    models = sorted({r["model"] for r in rows})
    W, H, L, T, B, PW = 300, 260, 60, 40, 50, 240
    width = L + len(models) * (PW + 40)
    import math
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H + T + B}" font-family="sans-serif" font-size="11">',
         '<rect width="100%" height="100%" fill="white"/>',
         f'<text x="{L}" y="18" font-size="14">Predicted vs measured latency of the plan the table picks (shaped link, this machine)</text>']
    for i, m in enumerate(models):
        pick = sorted((r for r in rows if r["model"] == m and r["picked"]), key=lambda r: r["mbps"])
        if not pick:
            continue
        x0 = L + i * (PW + 40)
        lo, hi = min(r["mbps"] for r in pick), max(r["mbps"] for r in pick)
        vals = [v for r in pick for v in (r["predicted_ms"], r["measured_ms"])]
        ymin, ymax = 10 ** math.floor(math.log10(min(vals))), 10 ** math.ceil(math.log10(max(vals)))
        X = lambda b: x0 + PW * (math.log(b / lo) / math.log(hi / lo) if hi > lo else 0.5)
        Y = lambda v: T + H * (1 - math.log(v / ymin) / math.log(ymax / ymin))
        s.append(f'<rect x="{x0}" y="{T}" width="{PW}" height="{H}" fill="none" stroke="#888"/>')
        s.append(f'<text x="{x0 + PW / 2}" y="{T - 6}" text-anchor="middle" font-size="12">{m}</text>')
        v = ymin
        while v <= ymax * 1.0001:
            s.append(f'<line x1="{x0}" y1="{Y(v):.1f}" x2="{x0 + PW}" y2="{Y(v):.1f}" stroke="#eee"/>'
                     f'<text x="{x0 - 4}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
            v *= 10
        for r in pick:
            s.append(f'<text x="{X(r["mbps"]):.1f}" y="{T + H + 14}" text-anchor="middle">{r["mbps"]:g}</text>')
        for key, color, dash in (("predicted_ms", "#1f77b4", "5,3"), ("measured_ms", "#d62728", "")):
            pts = " ".join(f'{X(r["mbps"]):.1f},{Y(r[key]):.1f}' for r in pick)
            s.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}" points="{pts}"/>')
            for r in pick:
                s.append(f'<circle cx="{X(r["mbps"]):.1f}" cy="{Y(r[key]):.1f}" r="3" fill="{color}"/>')
        s.append(f'<text x="{x0 + PW / 2}" y="{T + H + 30}" text-anchor="middle">uplink = downlink (Mbit/s, log)</text>')
    s.append(f'<text x="14" y="{T + H / 2}" transform="rotate(-90 14 {T + H / 2})" text-anchor="middle">latency (ms, log)</text>')
    s.append(f'<text x="{width - 220}" y="{H + T + B - 8}" fill="#1f77b4">- - predicted</text>'
             f'<text x="{width - 120}" y="{H + T + B - 8}" fill="#d62728">— measured</text>')
    s.append("</svg>")
    open(path, "w").write("\n".join(s) + "\n")


def report(out, k, frames):
    rows = json.load(open(os.path.join(out, "rows.json")))
    traces = json.load(open(os.path.join(out, "traces.json")))
    print(f"Device emulated {k}x slower than this machine; {int(frames) - WARMUP} measured frames per plan and rate "
          f"(the first {WARMUP} of each run dropped: ONNX Runtime warms up).\n")
    print("| model | Mbit/s | picked plan | predicted ms | measured ms | error | fastest measured (plan, ms) | picked / fastest |")
    print("|---|---|---|---|---|---|---|---|")
    worst_err, worst_pick = 0.0, 1.0
    for m in sorted({r["model"] for r in rows}):
        for b in sorted({r["mbps"] for r in rows if r["model"] == m}):
            cand = [r for r in rows if r["model"] == m and r["mbps"] == b]
            pick = next((r for r in cand if r["picked"]), None)
            fast = min(cand, key=lambda r: r["measured_ms"])
            if not pick:
                continue
            err = pick["measured_ms"] / pick["predicted_ms"] - 1
            ratio = pick["measured_ms"] / fast["measured_ms"]
            worst_err, worst_pick = max(worst_err, abs(err)), max(worst_pick, ratio)
            print(f"| {m} | {b:g} | {pick['plan']} | {pick['predicted_ms']:.1f} | {pick['measured_ms']:.1f} | {err * 100:+.1f} % | "
                  f"{fast['plan']}, {fast['measured_ms']:.1f} | {ratio:.3f} |")
    print(f"\nWorst |measured/predicted - 1| of the picked plans: {worst_err * 100:.1f} %; worst picked/fastest: {worst_pick:.3f}.\n")
    errs = [abs(r["measured_ms"] / r["predicted_ms"] - 1) for r in rows]
    if errs:
        print(f"Over every plan run (picked or not, {len(errs)} runs): median error {sorted(errs)[len(errs) // 2] * 100:.1f} %, worst {max(errs) * 100:.1f} %.\n")
    if traces:
        print("| model | trace | adaptive ms (switches) | device-only ms | cloud-only ms | frames (a/d/c) |")
        print("|---|---|---|---|---|---|")
        for t in traces:
            a, d, c = t.get("adaptive", {}), t.get("device-only", {}), t.get("cloud-only", {})
            print(f"| {t['model']} | {t['trace']} | {a.get('mean_ms', float('nan')):.1f} ({a.get('switches', 0)}) | "
                  f"{d.get('mean_ms', float('nan')):.1f} | {c.get('mean_ms', float('nan')):.1f} | "
                  f"{a.get('frames', 0)}/{d.get('frames', 0)}/{c.get('frames', 0)} |")
    svg(rows, os.path.join(out, "measured.svg"))
    print(f"\nwrote {os.path.join(out, 'measured.svg')}")


if __name__ == "__main__":
    if sys.argv[1] == "collect":
        collect(*sys.argv[2:7])
    else:
        report(*sys.argv[2:5])
