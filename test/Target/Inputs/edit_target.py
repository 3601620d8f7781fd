"""Writes copies of a target.json with one mistake each into OUT/<mistake>/target.json.

usage: edit_target.py TARGET_JSON OUT
"""
import copy
import json
import os
import sys

source, out = sys.argv[1], sys.argv[2]
with open(source) as f:
    base = json.load(f)


def write(folder, edit):
    description = copy.deepcopy(base)
    edit(description)
    os.makedirs(os.path.join(out, folder), exist_ok=True)
    description.setdefault("name", base["name"])
    if folder != "renamed":
        description["name"] = folder
    with open(os.path.join(out, folder, "target.json"), "w") as f:
        json.dump(description, f, indent=1)


write("typo", lambda d: d["codegen"].update(dps=d["codegen"].pop("dsp")))
write("type", lambda d: d["codegen"].update(ram_bytes="16M"))
write("missing", lambda d: d["llvm"].pop("triple"))
write("renamed", lambda d: None)
write("enum", lambda d: d["llvm"].update(float_abi="hardfp"))
