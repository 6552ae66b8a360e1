"""The Python module `onnxcut`: planning without the CLI, plan tables through
the runtime library, errors as onnxcut.InputError.

Run by CTest with PYTHONPATH at the built module and ONNXCUT_CLI,
ONNXCUT_SOURCE_DIR and ONNXCUT_WORK set (tests/CMakeLists.txt)."""
import json
import math
import os
import shutil
import subprocess
import unittest

import onnxcut

SRC = os.environ["ONNXCUT_SOURCE_DIR"]
CLI = os.environ["ONNXCUT_CLI"]
WORK = os.environ["ONNXCUT_WORK"]
DIAMOND = os.path.join(SRC, "tests/data/diamond.onnx")
DIAMOND_COSTS = os.path.join(SRC, "tests/data/diamond.costs.csv")
TINY = os.path.join(SRC, "models/tinyresnet.onnxtxt")


def fresh(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


class Plan(unittest.TestCase):
    def test_in_memory_table_equals_the_clis(self):
        r = onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, loads=[1, 3], precisions=["fp32", "int8"], rtt_ms=2,
                         min_mbps=0.005)
        out = fresh("cli_diamond")
        subprocess.run([CLI, "plan", DIAMOND, "--costs", DIAMOND_COSTS, "-o", out, "--load", "1,3",
                        "--precision", "fp32,int8", "--rtt-ms", "2", "--min-mbps", "0.005"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "plan-table.json")) as f:
            self.assertEqual(r.table, json.load(f))
        self.assertEqual(r.nodes, ["relu", "sig", "tanh", "add"])
        self.assertEqual(len(r.table["tables"]), 4)

    def test_output_dir_is_written_with_split_files(self):
        out = fresh("py_tiny")
        r = onnxcut.plan(TINY, device="raspberry-pi-4", cloud="nvidia-t4", output_dir=out, emit_onnx=True,
                         rtt_ms=20, precisions=["fp32", "fp16"])
        with open(os.path.join(out, "plan-table.json")) as f:
            self.assertEqual(json.load(f), r.table)
        listed = set()
        for p in r.table["plans"]:
            for side in ("head", "tail", "head_data", "tail_data"):
                if p.get(side):
                    listed.add(p[side])
                    self.assertTrue(os.path.isfile(os.path.join(out, p[side])), p[side])
        written = {os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(os.path.join(out, "plans"))
                   for f in fs}
        self.assertEqual(listed, written)
        self.assertEqual(r.table["costs"], {"device": "raspberry-pi-4", "cloud": "nvidia-t4"})
        # The manifest, as the runtime library reads it back.
        t = onnxcut.PlanTable.load(os.path.join(out, "plan-table.json"))
        self.assertEqual(t.version, 2)
        self.assertEqual(t.tool_version, r.table["tool"]["version"])
        self.assertEqual(sorted(f["path"] for f in t.files), sorted(written))
        for p, j in zip(t.plans, r.table["plans"]):
            self.assertEqual([w["name"] for w in p["wire"]], [w["name"] for w in j["wire"]])
            self.assertEqual(p["cloud_outputs"], j["outputs"]["cloud"])
            self.assertEqual(p["head_io"] is None, j["head_io"] is None)
            if p["tail_io"] is not None:
                self.assertEqual([w["name"] for w in p["tail_io"]["inputs"]], [w["name"] for w in p["wire"]])

    def test_input_shapes_and_pins_reach_the_planner(self):
        r = onnxcut.plan(TINY, device="raspberry-pi-4", cloud="nvidia-t4", input_shapes={"image": [2, 3, 224, 224]})
        self.assertEqual(r.table["model"]["inputs"][0]["shape"], [2, 3, 224, 224])
        pinned = onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, pin_device=["sig"], pin_cloud=["add"])
        for band in pinned.table["tables"][0]["bands"]:
            nodes = pinned.table["plans"][band["plan"]]["device_nodes"]
            self.assertIn("sig", nodes)
            self.assertNotIn("add", nodes)

    def test_bad_requests_raise_input_error_naming_the_option(self):
        with self.assertRaisesRegex(onnxcut.InputError, r"min_mbps \(50\) must be below max_mbps \(10\)"):
            onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, min_mbps=50, max_mbps=10)
        with self.assertRaisesRegex(onnxcut.InputError, "give costs_csv FILE, or a device side"):
            onnxcut.plan(DIAMOND)
        with self.assertRaisesRegex(onnxcut.InputError, "cannot open the file"):
            onnxcut.plan(os.path.join(WORK, "missing.onnx"), costs=DIAMOND_COSTS)
        with self.assertRaisesRegex(onnxcut.InputError, "unknown precision 'fp8'"):
            onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, precisions=["fp8"])
        with self.assertRaisesRegex(onnxcut.InputError, "pin_device 'nope': no planning node"):
            onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, pin_device=["nope"])
        with self.assertRaisesRegex(onnxcut.InputError, r"proof_effort must be from 0 to 1000 \(got -1\)"):
            onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, objectives=["throughput"], proof_effort=-1)
        self.assertTrue(issubclass(onnxcut.InputError, ValueError))

    def test_proof_effort_is_recorded(self):
        r = onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS, objectives=["throughput"], proof_effort=0)
        self.assertEqual(r.table["options"]["proof_effort"], 0)
        self.assertEqual(onnxcut.plan(DIAMOND, costs=DIAMOND_COSTS).table["options"]["proof_effort"], 1)


def write_npy(path, shape, value):
    import struct
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % d for d in shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    n = 1
    for d in shape:
        n *= d
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
                + struct.pack("<%df" % n, *[value + 0.001 * (i % 17) for i in range(n)]))


class Calibrated(unittest.TestCase):
    def test_budgets_give_mixed_tables_and_select_keeps_to_them(self):
        calib = fresh("py_calib")
        os.makedirs(calib)
        for i in range(4):
            write_npy(os.path.join(calib, "s%d.npy" % i), [1, 3, 224, 224], 0.1 * i)
        out = fresh("py_calib_out")
        r = onnxcut.plan(TINY, costs=os.path.join(SRC, "profiles/tinyresnet.costs.csv"), output_dir=out,
                         calibration=calib, max_loss=[0.0, 0.05], loss_metric="rel-l2", min_mbps=1)
        self.assertEqual(r.table["version"], 3)
        self.assertEqual(r.table["calibration"]["held_out"], ["s1", "s3"])
        mixed = [t for t in r.table["tables"] if t["precision"] == "mixed"]
        self.assertEqual([t["max_loss"] for t in mixed], [0.0, 0.05])
        t = onnxcut.PlanTable.load(os.path.join(out, "plan-table.json"))
        for mbps in (2, 50, 500):
            s = t.select(mbps=mbps, precision="auto", max_loss=0.0)
            loss = t.plans[s["plan"]]["loss"]
            self.assertLessEqual(max(loss["fit"], loss["held_out"]), 0.0)
        with self.assertRaisesRegex(onnxcut.InputError, "max_loss needs calibration inputs"):
            onnxcut.plan(TINY, costs=os.path.join(SRC, "profiles/tinyresnet.costs.csv"), max_loss=[0.1])
        with self.assertRaisesRegex(onnxcut.InputError, "unknown loss metric"):
            onnxcut.plan(TINY, costs=os.path.join(SRC, "profiles/tinyresnet.costs.csv"), calibration=calib,
                         loss_metric="psnr")


class Table(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = fresh("py_select")
        cls.result = onnxcut.plan(TINY, device="raspberry-pi-4", cloud="nvidia-t4", output_dir=cls.out, rtt_ms=20,
                                  loads=[1, 2], objectives=["latency", "throughput"])
        cls.table = onnxcut.PlanTable.load(os.path.join(cls.out, "plan-table.json"))

    def test_select_returns_each_bands_plan(self):
        for t in self.result.table["tables"]:
            if t["objective"] != "latency":
                continue
            for b in t["bands"]:
                mid = math.sqrt(b["min_mbps"] * b["max_mbps"])
                s = self.table.select(mbps=mid, load=t["server_load"])
                self.assertEqual(s["plan"], b["plan"], (t["server_load"], b))
                lo, hi = sorted((b["latency_ms_at_min"], b["latency_ms_at_max"]))
                self.assertTrue(lo - 1e-9 <= s["predicted"]["latency_ms"] <= hi + 1e-9, (s, b))

    def test_select_with_fps_uses_the_light_heavy_rule(self):
        s = self.table.select(mbps=10, fps=1e6)
        self.assertEqual(s["mode"], "heavy")
        self.assertFalse(s["keeps_up"])
        self.assertEqual(self.table.select(mbps=10, fps=0.001)["mode"], "light")

    def test_plans_and_predict(self):
        plans = self.table.plans
        self.assertEqual(len(plans), len(self.result.table["plans"]))
        p = self.result.table["plans"][0]
        self.assertEqual(plans[0]["device_nodes"], p["device_nodes"])
        pred = self.table.predict(0, 10.0)
        self.assertAlmostEqual(pred["upload_ms"], p["up_bytes"] * 8 / 10e6 * 1000)
        with self.assertRaises(onnxcut.InputError):
            self.table.predict(len(plans), 10.0)

    def test_bad_tables_raise_input_error(self):
        with self.assertRaisesRegex(onnxcut.InputError, "not valid JSON"):
            onnxcut.PlanTable.parse("{")
        with self.assertRaises(onnxcut.InputError):
            onnxcut.PlanTable.load(os.path.join(WORK, "no-such-table.json"))
        with self.assertRaisesRegex(onnxcut.InputError, "no latency table for precision int8"):
            self.table.select(mbps=5, precision="int8")


if __name__ == "__main__":
    unittest.main(verbosity=2)
