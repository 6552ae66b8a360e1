"""check_plan_files.py DIR [EXPECTED_PLANS]: every head/tail file that
DIR/plan-table.json names exists, and every file under DIR/plans is named
by the table (the table's paths come from what was written)."""
import json
import os
import sys

out = sys.argv[1]
with open(os.path.join(out, "plan-table.json")) as f:
    table = json.load(f)
listed = set()
for p in table["plans"]:
    for side in ("head", "tail", "head_data", "tail_data"):
        if p.get(side) is not None:
            listed.add(p[side])
            assert os.path.isfile(os.path.join(out, p[side])), f"plan {p['id']}: {p[side]} is listed, not written"
written = {os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(os.path.join(out, "plans")) for f in fs}
assert listed == written, f"listed but not written: {sorted(listed - written)}; written, not listed: {sorted(written - listed)}"
if len(sys.argv) > 2:
    assert len(table["plans"]) == int(sys.argv[2]), f"{len(table['plans'])} plans, expected {sys.argv[2]}"
print(f"plan files ok: {len(listed)} files for {len(table['plans'])} plans")
