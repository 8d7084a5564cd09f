#!/usr/bin/env python3
"""Precision/recall of `geowire tag` against the labelled evaluation set.

    python3 tools/eval.py --geowire build/geowire --set tests/eval/items.jsonl \
        [--config config/geowire.yaml] [--json out.json] [--verbose] \
        [--min-precision X | cat=X ...] [--min-recall X | cat=X ...]

Each line of the set is an input item plus "labels": {"countries": [ISO3],
"people": [per:...], "themes": [THEME_ID], "officials": ["Name|ISO3|Role title"],
"alerts": [rule id]}
(and an optional "note"). A category is scored over the items that label it;
a set labels at least one.
geowire is run ONCE: stdin gets every item with "labels"/"note" removed, one
per line; stdout must hold exactly one record per input line, in order.

Scored, micro-averaged over the items labelling the category:
  countries  record countries[].code
  people     record actors[] with type "person" from a dictionary, by id
  themes     record themes[].id
  officials  record actors[] with type "person" and match "title_pattern"
             (read from the text's titles), as "name|country|role title"
             (country empty for an intergovernmental official)
  alerts     record alerts[].rule (the shipped rules, config/alerts.yaml)
A record with "error" counts as predicting nothing.

Exit codes: 0 ok, 1 a threshold was missed, 2 usage/set/run error.
Pure standard library (Python 3.11).
"""
import argparse
import json
import os
import subprocess
import sys

CATEGORIES = ("countries", "people", "themes", "officials", "alerts")


def die(msg):
    print(f"eval.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_set(path):
    items = []
    try:
        fh = open(path, encoding="utf-8")
    except OSError as e:
        die(f"cannot open set: {e}")
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                die(f"{path}:{n}: invalid JSON: {e}")
            if not isinstance(obj, dict) or "labels" not in obj:
                die(f"{path}:{n}: not an object with \"labels\"")
            labels = obj["labels"]
            if not isinstance(labels, dict) or not any(c in labels for c in CATEGORIES):
                die(f"{path}:{n}: labels must name at least one of {', '.join(CATEGORIES)}")
            for cat in CATEGORIES:
                if cat in labels and not isinstance(labels[cat], list):
                    die(f"{path}:{n}: labels.{cat} must be a list")
            items.append((n, obj))
    if not items:
        die(f"{path}: no items")
    return items


def predicted(rec):
    """The three predicted sets of one record (empty on error/odd shapes)."""
    out = {c: set() for c in CATEGORIES}
    if not isinstance(rec, dict) or "error" in rec:
        return out
    for c in rec.get("countries") or []:
        if isinstance(c, dict) and isinstance(c.get("code"), str):
            out["countries"].add(c["code"])
    for a in rec.get("actors") or []:
        if not isinstance(a, dict) or a.get("type") != "person" or not isinstance(a.get("id"), str):
            continue
        if a.get("match") == "title_pattern":
            role = a.get("role") if isinstance(a.get("role"), dict) else {}
            out["officials"].add(f"{a.get('name')}|{a.get('country') or ''}|{role.get('title', '')}")
        else:
            out["people"].add(a["id"])
    for t in rec.get("themes") or []:
        if isinstance(t, dict) and isinstance(t.get("id"), str):
            out["themes"].add(t["id"])
    for a in rec.get("alerts") or []:
        if isinstance(a, dict) and isinstance(a.get("rule"), str):
            out["alerts"].add(a["rule"])
    return out


def run_tagger(args, items):
    cmd = [args.geowire, "tag"]
    if args.config:
        cmd += ["-c", args.config]
    stdin_lines = []
    for _, obj in items:
        inp = {k: v for k, v in obj.items() if k not in ("labels", "note")}
        stdin_lines.append(json.dumps(inp, ensure_ascii=False))
    data = ("\n".join(stdin_lines) + "\n").encode("utf-8")
    # geowire finds ./config/geowire.yaml by itself; run from the repo root
    # so that works no matter where eval.py is called from.
    cwd = args.cwd or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=cwd, timeout=args.timeout)
    except FileNotFoundError:
        die(f"cannot run {args.geowire}")
    except subprocess.TimeoutExpired:
        die(f"geowire tag did not finish within {args.timeout}s")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
        die(f"geowire tag exited {proc.returncode}")
    out = proc.stdout.decode("utf-8", "replace").split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(items):
        die(f"geowire tag printed {len(out)} lines for {len(items)} items")
    recs = []
    for i, line in enumerate(out):
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError as e:
            die(f"output line {i + 1} is not JSON: {e}")
    return recs


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def parse_thresholds(values, name):
    """["0.9", "people=0.8"] -> {"countries":0.9, "people":0.8, "themes":0.9}."""
    th = {}
    for v in values or []:
        cat, sep, num = v.rpartition("=")
        try:
            x = float(num)
        except ValueError:
            die(f"{name}: not a number: {v!r}")
        if not 0.0 <= x <= 1.0:
            die(f"{name}: must be within 0..1: {v!r}")
        if sep:
            if cat not in CATEGORIES:
                die(f"{name}: unknown category {cat!r} (one of {', '.join(CATEGORIES)})")
            th[cat] = x
        else:
            for c in CATEGORIES:
                th.setdefault(c, x)
    return th


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--geowire", required=True, help="path to the geowire binary")
    ap.add_argument("--set", required=True, help="labelled items (JSONL)")
    ap.add_argument("--config", help="passed to geowire tag as -c")
    ap.add_argument("--cwd", help="working directory for geowire (default: repo root)")
    ap.add_argument("--json", help="write metrics and per-item errors here")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="list false positives/negatives per item")
    ap.add_argument("--min-precision", action="append", metavar="[CAT=]X")
    ap.add_argument("--min-recall", action="append", metavar="[CAT=]X")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()

    min_p = parse_thresholds(args.min_precision, "--min-precision")
    min_r = parse_thresholds(args.min_recall, "--min-recall")
    args.geowire = os.path.abspath(args.geowire)
    if args.config:
        args.config = os.path.abspath(args.config)

    items = load_set(args.set)
    recs = run_tagger(args, items)

    counts = {c: [0, 0, 0] for c in CATEGORIES}   # tp, fp, fn
    scored = {c: 0 for c in CATEGORIES}           # items labelling the category
    per_item = []
    for (lineno, obj), rec in zip(items, recs):
        pred = predicted(rec)
        entry = {"line": lineno, "id": obj.get("id")}
        if isinstance(rec, dict) and "error" in rec:
            entry["error"] = rec["error"]
        if isinstance(rec, dict) and rec.get("id") != obj.get("id"):
            entry["id_mismatch"] = rec.get("id")
        for c in CATEGORIES:
            if c not in obj["labels"]:
                continue
            scored[c] += 1
            gold = set(obj["labels"][c])
            tp = len(gold & pred[c])
            fps = sorted(pred[c] - gold)
            fns = sorted(gold - pred[c])
            counts[c][0] += tp
            counts[c][1] += len(fps)
            counts[c][2] += len(fns)
            if fps:
                entry.setdefault("fp", {})[c] = fps
            if fns:
                entry.setdefault("fn", {})[c] = fns
        if len(entry) > 2:
            if obj.get("note"):
                entry["note"] = obj["note"]
            per_item.append(entry)

    metrics = {}
    all_tp = all_fp = all_fn = 0
    for c in CATEGORIES:
        if not scored[c]:
            continue
        tp, fp, fn = counts[c]
        all_tp, all_fp, all_fn = all_tp + tp, all_fp + fp, all_fn + fn
        p, r, f = prf(tp, fp, fn)
        metrics[c] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}
    p, r, f = prf(all_tp, all_fp, all_fn)
    metrics["all"] = {"tp": all_tp, "fp": all_fp, "fn": all_fn,
                      "precision": p, "recall": r, "f1": f}

    print(f"{len(items)} items, {sum(1 for e in per_item if 'error' in e)} error records")
    print(f"{'category':<10} {'tp':>5} {'fp':>5} {'fn':>5} {'prec':>7} {'recall':>7} {'f1':>7}")
    for c in CATEGORIES + ("all",):
        if c not in metrics:
            print(f"{c:<10} {'(no item labels it)':>41}")
            continue
        m = metrics[c]
        print(f"{c:<10} {m['tp']:>5} {m['fp']:>5} {m['fn']:>5} "
              f"{m['precision']:>7.3f} {m['recall']:>7.3f} {m['f1']:>7.3f}")

    if args.verbose:
        for e in per_item:
            print(f"\n{e['id']} (line {e['line']})")
            if "error" in e:
                print(f"  error: {json.dumps(e['error'], ensure_ascii=False)}")
            if "id_mismatch" in e:
                print(f"  record id: {e['id_mismatch']!r}")
            for kind in ("fp", "fn"):
                for c, v in e.get(kind, {}).items():
                    print(f"  {kind} {c}: {' '.join(v)}")
            if e.get("note"):
                print(f"  note: {e['note']}")

    failed = []
    for c in CATEGORIES:
        if c not in metrics:
            continue
        if c in min_p and metrics[c]["precision"] < min_p[c]:
            failed.append(f"{c} precision {metrics[c]['precision']:.3f} < {min_p[c]}")
        if c in min_r and metrics[c]["recall"] < min_r[c]:
            failed.append(f"{c} recall {metrics[c]['recall']:.3f} < {min_r[c]}")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"set": args.set, "items": len(items), "metrics": metrics,
                       "thresholds": {"min_precision": min_p, "min_recall": min_r},
                       "failed": failed, "errors": per_item},
                      fh, ensure_ascii=False, indent=1)
            fh.write("\n")

    for msg in failed:
        print(f"FAIL: {msg}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
