#!/usr/bin/env python3
"""Dev check: runs a plain-text story (default: the project's seed story in
../shared/reference, which is not part of the repository) through
`geowire tag` and prints what an analyst reads: countries, actors with their
roles at the date, blocs, pairs and themes."""
import argparse, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--geowire", default="build/geowire")
ap.add_argument("--story", default=os.path.join("..", "shared", "reference", "seed-story.txt"))
ap.add_argument("--date", default="2025-02-27", help="published_at of the story")
a = ap.parse_args()
if not os.path.exists(a.story):
    print(f"seed-check: {a.story} not found; nothing to check", file=sys.stderr)
    sys.exit(0)
title, _, body = open(a.story, encoding="utf-8").read().partition("\n")
item = json.dumps({"id": "seed", "title": title, "body": body, "published_at": a.date})
out = subprocess.run([a.geowire, "tag", "-c", "config/geowire.yaml"], input=item + "\n",
                     capture_output=True, text=True, check=True).stdout
r = json.loads(out)
if "error" in r:
    sys.exit(f"seed-check: {r['error']}")
print("lang:", r["lang"], [f"{l['lang']}x{l['paragraphs']}" for l in r["langs"]])
for c in r["countries"]:
    print(f"country {c['code']} {c['role']:7} salience {c['salience']:.2f} via {','.join(c['via'])}")
for x in r["actors"]:
    role = x["role"]["title"] if x["role"] else "-"
    print(f"actor   {x['id']:32} {x['type']:16} {x['country'] or '-':4} {role} ({x['match']})")
print("blocs:", [b["code"] + ("" if b["named"] else "*") for b in r["blocs"]])
print("pairs:", [f"{p['a']}-{p['b']}x{p['sentences']}" for p in r["pairs"]])
print("themes:", [f"{t['id']} {t['score']:.2f}" for t in r["themes"]])
print("warnings:", [w["code"] + ":" + w["detail"] for w in r["warnings"]])
