"""check_layout.py SOURCE_DIR BUILD_DIR: the stage boundaries hold for every
file, headers included (the compiler only sees headers through the .cpp
files that include them):

1. every quoted #include in a stage folder resolves inside the include path
   that stage's own target compiles with (compile_commands.json), so a
   header can't reach a stage its target does not link;
2. no library stage names a command-line flag in a string: only cli/ does
   (library messages name options with optionRef).
"""
import json
import os
import re
import sys

src, build = sys.argv[1], sys.argv[2]
STAGES = ["base", "graph", "solve", "model", "costs", "artifacts", "fidelity", "planner", "runtime", "sim"]
with open(os.path.join(build, "compile_commands.json")) as f:
    commands = json.load(f)

include_path = {}  # stage -> its target's quoted-include directories
for c in commands:
    rel = os.path.relpath(c["file"], src)
    stage = rel.split(os.sep)[0]
    if stage not in STAGES or "/" not in rel.replace(os.sep, "/"):
        continue
    dirs = [os.path.normpath(d) for d in re.findall(r"(?:^|\s)-I(\S+)", c["command"])]
    dirs += [os.path.normpath(d) for d in re.findall(r"-isystem (\S+)", c["command"])]
    include_path.setdefault(stage, set()).update([os.path.normpath(os.path.join(src, stage))] + dirs)

problems = []
flag = re.compile(r'"[^"\n]*(?<![\w-])--[a-z][a-z-]+[^"\n]*"')
for stage in STAGES:
    folder = os.path.join(src, stage)
    if stage not in include_path:
        problems.append(f"{stage}/: no source of it is in compile_commands.json")
        continue
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".h", ".cpp")):
            continue
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
            if not any(os.path.isfile(os.path.join(d, inc)) for d in include_path[stage]):
                problems.append(f"{stage}/{name}: includes \"{inc}\", which is outside {stage}'s allowed stages")
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        for m in flag.finditer(code):
            problems.append(f"{stage}/{name}: names a command-line flag in {m.group(0)} (use optionRef)")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"layout ok: {len(STAGES)} stages, every include within its target's edges, no flags in library strings")
