#!/usr/bin/env python3
"""Checks target descriptions against targets/schema.json: the build runs it on every
targets/*/target.json before compiling anything for it, so that a misspelt key, a missing one or a
value of the wrong type is a build error naming the file and the key, not a silent default.

usage: check_target_json.py SCHEMA TARGET_JSON... [--stamp FILE]

The schema language is the subset of JSON Schema the file uses: type (object, array, string,
integer, boolean), properties, required, additionalProperties: false, items, enum, minimum.
Besides, a target's `name` must be its folder's name.
"""
import json
import os
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def type_ok(value, wanted):
    if wanted == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[wanted])


def check(value, schema, where, errors):
    wanted = schema.get("type")
    if wanted and not type_ok(value, wanted):
        errors.append("%s: expected %s, got %s" % (where, "an " + wanted if wanted[0] in "aeiou"
                                                     else "a " + wanted, json.dumps(value)))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %s is not one of %s" % (where, json.dumps(value),
                                                   ", ".join(json.dumps(e) for e in schema["enum"])))
    if "minimum" in schema and value < schema["minimum"]:
        errors.append("%s: %s is less than %s" % (where, value, schema["minimum"]))
    if wanted == "object":
        known = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: required key \"%s\" is missing" % (where, key))
        for key, item in value.items():
            if key in known:
                check(item, known[key], "%s.%s" % (where, key), errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append("%s: unknown key \"%s\" (known: %s)" % (where, key, ", ".join(sorted(known))))
    if wanted == "array" and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], "%s[%d]" % (where, i), errors)


def main(argv):
    stamp = None
    if "--stamp" in argv:
        i = argv.index("--stamp")
        stamp = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) < 2:
        sys.exit(__doc__)
    with open(argv[0]) as f:
        schema = json.load(f)
    failed = False
    for path in argv[1:]:
        errors = []
        try:
            with open(path) as f:
                description = json.load(f)
        except (OSError, ValueError) as e:
            errors.append("not readable JSON: %s" % e)
        else:
            check(description, schema, "target", errors)
            folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
            if isinstance(description, dict) and description.get("name") != folder:
                errors.append("target.name: %s differs from the folder's name \"%s\""
                              % (json.dumps(description.get("name")), folder))
        for e in errors:
            print("%s: error: %s" % (path, e), file=sys.stderr)
        failed = failed or bool(errors)
    if failed:
        return 1
    if stamp:
        with open(stamp, "w") as f:
            f.write("checked\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
