"""A throughput plot (onnxcut plot --objective throughput): four curves, the
right axis label, and the throughput plan's curve never below any other
(higher frames/s is higher on the plot: a smaller y). The tables are exact
on this model, so the planned curve must be the upper envelope.
    check_throughput_plot.py SVG"""
import sys
import xml.dom.minidom as m

d = m.parse(sys.argv[1])
lines = d.getElementsByTagName("polyline")
texts = [x.firstChild.data for x in d.getElementsByTagName("text") if x.firstChild]
names = [t for t in texts if t in ("device only", "cloud only", "latency plan", "throughput plan")]
assert len(lines) == 4 and names == ["device only", "cloud only", "latency plan", "throughput plan"], (len(lines), names)
assert "predicted throughput (frames/s, log)" in texts, texts
curves = {n: [tuple(map(float, p.split(","))) for p in l.getAttribute("points").split()] for n, l in zip(names, lines)}
best = curves["throughput plan"]
for name, pts in curves.items():
    for (x1, y1), (x2, y2) in zip(best, pts):
        assert abs(x1 - x2) < 1e-6
        assert y1 <= y2 + 0.15, f"{name} above the throughput plan at x={x1}: {y2} < {y1}"
print("throughput plot ok")
