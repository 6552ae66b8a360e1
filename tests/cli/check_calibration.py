"""check_calibration.py CLI MODEL COSTS WORK [MODEL.onnx]: `onnxcut plan --calibration` as a
user runs it (docs/precision.md).

1. Bad calibration input (empty folder, wrong shape, wrong dtype, corrupt
   .npy, corrupt image, unreadable file, a stray file, one sample only) and
   impossible flags exit 2 naming the problem, and leave no output folder.
2. Good input (.npy tensors and PNG images) gives a version-3 table whose
   every plan has a measured loss, one mixed table per budget whose plans
   are within it, and `select --max-loss` keeps to the budget; with
   MODEL.onnx (MODEL in binary form), the split files of every plan, mixed
   ones included, pass check_split.js (runs in ONNX Runtime, manifest
   matches the files and wire sizes).
Standard library only (the PNG and .npy files are written here)."""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

cli, model, costs, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def npy(path, shape, descr="<f4", fill=0.25, data=None):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    n = 1
    for d in shape:
        n *= d
    if data is None:
        size = {"<f4": 4, "<i4": 4, "<f8": 8}[descr]
        fmt = {"<f4": "f", "<i4": "i", "<f8": "d"}[descr]
        data = struct.pack("<%d%s" % (n, fmt), *([fill if fmt != "i" else 1] * n))
        assert len(data) == n * size
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)


def png(path, w, h, seed):
    rows = b""
    for y in range(h):
        rows += b"\x00" + bytes(((x * 7 + y * 13 + seed * 31 + c * 50) % 256) for x in range(w) for c in range(3))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def plan(out, *extra):
    args = [cli, "plan", model, "--costs", costs, "-o", out] + list(extra)
    return subprocess.run(args, capture_output=True, text=True)


def expect_refused(name, folder, says, *extra):
    out = os.path.join(work, "out_" + name)
    r = plan(out, "--calibration", folder, "--max-loss", "0.1", *extra) if folder else plan(out, *extra)
    if r.returncode != 2 or says not in r.stderr:
        failures.append("%s: exit %d, stderr %r (wanted exit 2 and %r)" % (name, r.returncode, r.stderr.strip(), says))
    if os.path.exists(out):
        failures.append("%s: left %s behind" % (name, out))


def folder(name, files):
    d = os.path.join(work, name)
    os.makedirs(d)
    for f, make in files:
        make(os.path.join(d, f))
    return d


shape = (1, 3, 224, 224)
expect_refused("empty", folder("empty", []), "the calibration folder is empty")
expect_refused("shape", folder("shape", [("a.npy", lambda p: npy(p, (1, 3, 32, 32))), ("b.npy", lambda p: npy(p, shape))]),
               "shape [1, 3, 32, 32], but input 'image' is [1, 3, 224, 224]")
expect_refused("dtype", folder("dtype", [("a.npy", lambda p: npy(p, shape, "<i4")), ("b.npy", lambda p: npy(p, shape))]),
               "dtype int32, but input 'image' is float32")
expect_refused("corrupt_npy", folder("corrupt_npy", [("a.npy", lambda p: open(p, "wb").write(b"\x93NUMPY\x01\x00garbage")),
                                                     ("b.npy", lambda p: npy(p, shape))]), "a.npy")
expect_refused("corrupt_png", folder("corrupt_png", [("a.png", lambda p: open(p, "wb").write(b"\x89PNG\r\n\x1a\nxx")),
                                                     ("b.npy", lambda p: npy(p, shape))]), "cannot decode the image")
expect_refused("unreadable", folder("unreadable", [("a.npy", lambda p: os.symlink(os.path.join(work, "nowhere"), p)),
                                                   ("b.npy", lambda p: npy(p, shape))]), "a.npy: cannot open")
expect_refused("stray", folder("stray", [("notes.txt", lambda p: open(p, "w").write("x")),
                                         ("b.npy", lambda p: npy(p, shape))]), "not a calibration file")
expect_refused("one_sample", folder("one_sample", [("b.npy", lambda p: npy(p, shape))]), "at least 2 are needed")
expect_refused("missing_folder", os.path.join(work, "nope"), "the calibration folder does not exist")
expect_refused("budget_without_calibration", None, "--max-loss needs calibration inputs (--calibration)", "--max-loss", "0.1")
expect_refused("negative_budget", folder("neg", [("a.npy", lambda p: npy(p, shape)), ("b.npy", lambda p: npy(p, shape))]),
               "--max-loss must be a finite number >= 0", "--max-loss", "-1")
expect_refused("bad_metric", folder("metric", [("a.npy", lambda p: npy(p, shape)), ("b.npy", lambda p: npy(p, shape))]),
               "unknown loss metric 'psnr'", "--loss-metric", "psnr")

# Good input: 3 tensors and 3 images (6 samples: 3 fitted, 3 held back).
good = folder("good", [("t%d.npy" % i, (lambda i: lambda p: npy(p, shape, fill=0.1 * (i + 1)))(i)) for i in range(3)]
              + [("i%d.png" % i, (lambda i: lambda p: png(p, 40 + i, 30, i))(i)) for i in range(3)])
out = os.path.join(work, "out_good")
r = plan(out, "--calibration", good, "--max-loss", "0,0.05", "--loss-metric", "rel-l2", "--precision", "fp32,fp16,int8",
         "--min-mbps", "1", "--max-mbps", "1000")
if r.returncode != 0:
    failures.append("good: exit %d: %s" % (r.returncode, r.stderr))
else:
    t = json.load(open(os.path.join(out, "plan-table.json")))
    plans = {p["id"]: p for p in t["plans"]}
    if t["version"] != 3:
        failures.append("good: version %s, wanted 3" % t["version"])
    if t["calibration"]["metric"] != "rel-l2" or t["calibration"]["samples"] != 6 or len(t["calibration"]["held_out"]) != 3:
        failures.append("good: calibration entry %r" % t["calibration"])
    tl = t["calibration"].get("tensor_losses", [])
    if not tl or any(sorted(x["loss_fit"]) != ["16", "2", "4", "6", "8"] or x["cloud_readers"] < 1 for x in tl):
        failures.append("good: calibration.tensor_losses %r" % tl)
    for p in t["plans"]:
        if "loss" not in p:
            failures.append("good: plan %d has no loss" % p["id"])
    if not any(p["precision"] == "mixed" and any(c["bits"] < 8 for c in p["cut"]) for p in t["plans"]):
        failures.append("good: no mixed plan packs below 8 bits (the costs should make one worth it)")
    mixed = [x for x in t["tables"] if x["precision"] == "mixed"]
    if sorted(x["max_loss"] for x in mixed) != [0, 0.05]:
        failures.append("good: mixed tables %r" % [x.get("max_loss") for x in mixed])
    for x in mixed:
        for b in x["bands"]:
            p = plans[b["plan"]]
            if p["loss"]["fit"] > x["max_loss"] or p["loss"]["held_out"] > x["max_loss"]:
                failures.append("good: plan %d over the budget %s: %r" % (p["id"], x["max_loss"], p["loss"]))
            if any("bits" not in c for c in p["cut"]):
                failures.append("good: mixed plan %d without bits" % p["id"])
    for mbps in ("1.5", "30", "900"):
        s = subprocess.run([cli, "select", os.path.join(out, "plan-table.json"), "--mbps", mbps, "--precision", "auto",
                            "--max-loss", "0", "--json"], capture_output=True, text=True)
        if s.returncode != 0:
            failures.append("select %s: exit %d %s" % (mbps, s.returncode, s.stderr))
            continue
        j = json.loads(s.stdout)
        if j["loss"] is not None and max(j["loss"]["fit"], j["loss"]["held_out"]) > 0:
            failures.append("select %s --max-loss 0 gave plan %d with loss %r" % (mbps, j["plan"], j["loss"]))
    s = subprocess.run([cli, "select", os.path.join(out, "plan-table.json"), "--mbps", "10", "--max-loss", "-2"],
                       capture_output=True, text=True)
    if s.returncode != 2 or "--max-loss" not in s.stderr:
        failures.append("select --max-loss -2: exit %d %r" % (s.returncode, s.stderr))

if len(sys.argv) > 5 and not failures:
    out = os.path.join(work, "out_emit")
    r = plan(out, "--calibration", good, "--max-loss", "0.05", "--loss-metric", "rel-l2", "--min-mbps", "1", "--emit-onnx")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check_split.js")
    c = subprocess.run(["node", script, out, sys.argv[5]], capture_output=True, text=True)
    if r.returncode != 0 or c.returncode != 0 or "mixed" not in c.stdout:
        failures.append("emit + check_split: plan exit %d, check exit %d\n%s%s" % (r.returncode, c.returncode, c.stdout, c.stderr))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("calibration: 12 bad inputs refused with exit 2, good folder planned (version 3, losses within budgets)")
