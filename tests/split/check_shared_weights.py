"""A plan directory written with shared weights (the default): every plan
folder whose files hold weights has weights.data, all of them one inode
(hard links) with the sha256 'files' gives, no per-file data file, and the
weights on disk are no larger than the model's own (each tensor once, plus
64-byte alignment).
    check_shared_weights.py PLAN_DIR [MODEL]   (a .onnx with inline weights, or the folder of one with external data)"""
import hashlib
import json
import os
import sys

out = sys.argv[1]
t = json.load(open(os.path.join(out, "plan-table.json")))
listed = {f["path"]: f for f in t["files"]}
weights = sorted(p for p in listed if p.endswith("/weights.data"))
if not weights:  # a model whose weights are all small or generated (ConstantOfShape)
    assert not [p for p in listed if p.endswith(".data")], "data files but no shared weights"
    print("no shared weights: no initializer of 1 KiB or more")
    sys.exit(0)
assert not [p for p in listed if p.endswith(".onnx.data")], "per-file data files written beside shared weights"
inodes = {os.stat(os.path.join(out, p)).st_ino for p in weights}
assert len(inodes) == 1, f"weights.data files are not one file: {len(inodes)} inodes"
sha = {listed[p]["sha256"] for p in weights}
data = open(os.path.join(out, weights[0]), "rb").read()
assert sha == {hashlib.sha256(data).hexdigest()}, "sha256 in 'files' differs from the weights file"
for p in t["plans"]:
    for side in ("head", "tail"):
        if p[side] and p.get(side + "_data"):
            assert os.path.dirname(p[side]) == os.path.dirname(p[side + "_data"]), p
if len(sys.argv) > 2:
    m = sys.argv[2]
    model_bytes = os.path.getsize(m) if os.path.isfile(m) else sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(m) for f in fs if not f.endswith(".onnx"))
    assert len(data) <= model_bytes + 64 * 1024, f"weights {len(data)} bytes > the model's {model_bytes}"
print(f"shared weights ok: {len(weights)} links to one {len(data)}-byte file")
