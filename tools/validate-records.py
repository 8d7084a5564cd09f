#!/usr/bin/env python3
"""Validate geowire records (one JSON object per line) against
schema/record.schema.json, or, for a line whose "schema" names another
geowire record, against its own file: "geowire.alert.v1" schema/alert.schema.json,
"geowire.alert-retraction.v1" schema/alert-retraction.schema.json (alerts topic),
"geowire.aggregate.v1" schema/aggregate.schema.json (aggregates topic).

usage: validate-records.py [--schema FILE] [FILE ...]   (no FILE: stdin)

Prints `N records valid`, or one line per failure as
`FILE:LINE: at PATH: MESSAGE`; exits 1 on any failure, 2 on a usage error.
Needs python3-jsonschema (Debian) / jsonschema >= 4 (PyPI).
"""
import argparse
import json
import os
import sys

try:
    import jsonschema
    import referencing
except ImportError:
    sys.exit("validate-records: python3-jsonschema is not installed (apt-get install python3-jsonschema)")

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "..", "schema")
DEFAULT_SCHEMA = os.path.join(SCHEMA_DIR, "record.schema.json")
# Records that name one of these schemas are checked against its file; the
# alert schema refers to definitions in the record schema by $id.
BY_NAME = {"geowire.alert.v1": os.path.join(SCHEMA_DIR, "alert.schema.json"),
           "geowire.alert-retraction.v1": os.path.join(SCHEMA_DIR, "alert-retraction.schema.json"),
           "geowire.aggregate.v1": os.path.join(SCHEMA_DIR, "aggregate.schema.json")}


def where(err):
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    return path or "(record)"


def leaf_errors(err):
    # A oneOf failure explains itself only through its branches; report the
    # branch that got furthest (the enriched form for a record that has no
    # "error" key, the error form otherwise).
    if err.context:
        best = max(err.context, key=lambda e: (len(e.absolute_path), -len(list(e.context or []))))
        branch = [e for e in err.context if e.relative_schema_path[0] == best.relative_schema_path[0]]
        out = []
        for e in branch:
            out.extend(leaf_errors(e))
        return out
    return [err]


def check_stream(validators, name, stream):
    ok = bad = 0
    for lineno, raw in enumerate(stream, 1):
        line = raw.rstrip("\r\n")
        try:
            rec = json.loads(line)
        except ValueError as e:
            print(f"{name}:{lineno}: not JSON: {e}")
            bad += 1
            continue
        validator = validators.get(rec.get("schema") if isinstance(rec, dict) else None, validators[None])
        errors = sorted(validator.iter_errors(rec), key=lambda e: list(map(str, e.absolute_path)))
        if not errors:
            ok += 1
            continue
        bad += 1
        seen = set()
        for top in errors:
            for e in leaf_errors(top):
                msg = f"{name}:{lineno}: at {where(e)}: {e.message}"
                if msg not in seen:
                    seen.add(msg)
                    print(msg)
    return ok, bad


def main():
    ap = argparse.ArgumentParser(description="Validate geowire records against the record schema.")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA, help="schema file (default: schema/record.schema.json)")
    ap.add_argument("files", nargs="*", help="JSON-lines files (default: stdin)")
    args = ap.parse_args()
    schemas = {None: args.schema, **BY_NAME}
    loaded = {}
    for key, path in schemas.items():
        with open(path, encoding="utf-8") as f:
            loaded[key] = json.load(f)
    registry = referencing.Registry().with_resources(
        (s["$id"], referencing.Resource.from_contents(s)) for s in loaded.values() if "$id" in s)
    validators = {}
    for key, schema in loaded.items():
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validators[key] = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    ok = bad = 0
    sources = args.files or ["-"]
    for path in sources:
        if path == "-":
            o, b = check_stream(validators, "<stdin>", sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                o, b = check_stream(validators, path, f)
        ok += o
        bad += b
    if bad:
        print(f"{bad} of {ok + bad} records invalid")
        return 1
    print(f"{ok} records valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
