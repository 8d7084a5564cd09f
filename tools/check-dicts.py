#!/usr/bin/env python3
"""Self-check for the geography/organisation dictionaries.

Usage: tools/check-dicts.py [dictionary-dir]     (default: config/dictionaries)

Checks countries.yaml, countries-overlay.yaml, blocs.yaml, organizations.yaml
and discards.yaml (those present) against FORMAT.md, mirroring what the C
loader rejects (unknown keys, wrong types, bad dates, unknown country codes),
plus consistency rules the loader cannot see:
  * every code used in overlay/blocs/organizations exists in countries.yaml;
  * no duplicate codes, bloc codes, organisation ids, members;
  * since <= until; until only where allowed;
  * no term listed twice for one entry, no overlay name that repeats an ISO
    name, no ambiguous text that is also a plain country name;
  * a plain (non-ambiguous) name must not point at two different countries;
  * a discard must not equal a name (it would silently erase it);
  * no YAML anchors/aliases (the loader refuses them).
Prints every problem and exits 1 if there was any. Also verifies that
countries.yaml is what tools/gen-countries.py would generate now.
"""
import datetime
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
errors = []


def err(file, msg):
    errors.append(f"{file}: {msg}")


def load(path):
    text = path.read_text(encoding="utf-8")
    # Anchors (&x) and aliases (*x) at value positions; the loader refuses them.
    if re.search(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_]+\s*($|[,\]}\s])", text, re.M):
        err(path.name, "anchor/alias syntax found (not allowed)")
    return yaml.safe_load(text)


def check_keys(file, where, m, allowed, required=()):
    if not isinstance(m, dict):
        err(file, f"{where}: expected a mapping")
        return False
    for k in m:
        if k not in allowed:
            err(file, f"{where}: unknown key '{k}'")
    for k in required:
        if k not in m:
            err(file, f"{where}: missing key '{k}'")
    return True


def as_date(file, where, v):
    if isinstance(v, datetime.date):
        return v
    try:
        return datetime.date.fromisoformat(str(v))
    except ValueError:
        err(file, f"{where}: bad date {v!r}")
        return None


def term_text(file, where, t):
    """Returns (text, flags) of a term or None after reporting."""
    if isinstance(t, str):
        if not t.strip():
            err(file, f"{where}: empty term")
            return None
        return t, ()
    if isinstance(t, dict):
        check_keys(file, where, t, ("text", "case", "prefix"), ("text",))
        if not isinstance(t.get("text"), str) or not t["text"].strip():
            err(file, f"{where}: term text must be a non-empty string")
            return None
        flags = []
        for f in ("case", "prefix"):
            if f in t:
                if not isinstance(t[f], bool):
                    err(file, f"{where}: '{f}' must be true/false")
                elif t[f]:
                    flags.append(f)
        if not flags:
            err(file, f"{where}: term map without a flag; use a plain string")
        return t["text"], tuple(flags)
    err(file, f"{where}: a term must be a string or a {{text: ...}} map, got {t!r}")
    return None


def terms(file, where, lst, strings_only=False):
    out = []
    if lst is None:
        return out
    if not isinstance(lst, list):
        err(file, f"{where}: expected a list")
        return out
    seen = set()
    for i, t in enumerate(lst):
        if strings_only and not isinstance(t, str):
            err(file, f"{where}[{i}]: expected a plain string")
            continue
        r = term_text(file, f"{where}[{i}]", t)
        if r is None:
            continue
        key = (r[0].casefold() if "case" not in r[1] else r[0], r[1])
        if key in seen:
            err(file, f"{where}: '{r[0]}' listed twice")
        seen.add(key)
        out.append(r)
    return out


def check_header(file, d):
    if not isinstance(d.get("version"), str):
        err(file, "version must be a quoted string")
    as_date(file, "as_of", d.get("as_of"))


def main(argv):
    ddir = Path(argv[0]) if argv else ROOT / "config/dictionaries"

    # ------------------------------------------------------------ countries
    cfile = "countries.yaml"
    c = load(ddir / cfile)
    check_keys(cfile, "top", c, ("version", "as_of", "source", "countries"),
               ("version", "as_of", "source", "countries"))
    check_header(cfile, c)
    codes = {}
    plain = {}       # folded name -> set of codes (plain, not case-sensitive)
    iso_names = {}   # code -> set of folded names
    for i, e in enumerate(c["countries"]):
        where = f"countries[{i}]"
        check_keys(cfile, where, e, ("code", "alpha2", "name", "names"),
                   ("code", "alpha2", "name", "names"))
        code = e.get("code")
        if not re.fullmatch(r"[A-Z]{3}", str(code)):
            err(cfile, f"{where}: bad code {code!r}")
        if code in codes:
            err(cfile, f"{where}: duplicate code {code}")
        codes[code] = e
        iso_names[code] = set()
        for text, flags in terms(cfile, f"{code}.names", e.get("names")):
            if "," in text:
                err(cfile, f"{code}: name with a comma: {text!r}")
            iso_names[code].add(text.casefold())
            if "case" not in flags:
                plain.setdefault(text.casefold(), set()).add(code)
    if len(codes) < 249:
        err(cfile, f"only {len(codes)} countries (iso-codes 4.15 has 249)")

    # ------------------------------------------------------------ overlay
    ofile = "countries-overlay.yaml"
    o = load(ddir / ofile)
    check_keys(ofile, "top", o, ("version", "as_of", "countries"), ("version", "as_of", "countries"))
    check_header(ofile, o)
    ambiguous = {}   # folded text -> codes
    for code, e in o["countries"].items():
        where = f"countries.{code}"
        if code not in codes:
            err(ofile, f"{where}: unknown country code")
        check_keys(ofile, where, e, ("display", "names", "demonyms", "capitals",
                                     "seats", "historic", "ambiguous"))
        if "display" not in e:
            err(ofile, f"{where}: no display name (every touched country needs one)")
        elif "," in str(e["display"]):
            err(ofile, f"{where}: display name with a comma: {e['display']!r}")
        for key in ("names", "demonyms", "capitals", "seats"):
            for text, flags in terms(ofile, f"{where}.{key}", e.get(key)):
                if text.casefold() in iso_names.get(code, ()):
                    err(ofile, f"{where}.{key}: '{text}' repeats an ISO name from countries.yaml")
                if "case" not in flags:
                    plain.setdefault(text.casefold(), set()).add(code)
        for i, h in enumerate(e.get("historic") or []):
            hw = f"{where}.historic[{i}]"
            check_keys(ofile, hw, h, ("text", "until"), ("text",))
            if "until" in h:
                as_date(ofile, hw, h["until"])
        for i, a in enumerate(e.get("ambiguous") or []):
            aw = f"{where}.ambiguous[{i}]"
            check_keys(ofile, aw, a, ("text", "context", "block", "person_guard"), ("text",))
            if not isinstance(a.get("text"), str):
                err(ofile, f"{aw}: text must be a string")
                continue
            ambiguous.setdefault(a["text"].casefold(), set()).add(code)
            terms(ofile, f"{aw}.context", a.get("context"), strings_only=True)
            terms(ofile, f"{aw}.block", a.get("block"), strings_only=True)
            if "person_guard" in a and not isinstance(a["person_guard"], bool):
                err(ofile, f"{aw}: person_guard must be true/false")
            if not a.get("context"):
                err(ofile, f"{aw}: an ambiguous name needs context")
    for text, cs in ambiguous.items():
        if text in plain:
            err(ofile, f"ambiguous '{text}' ({','.join(sorted(cs))}) is also a plain name of "
                       f"{','.join(sorted(plain[text]))}")
    for text, cs in sorted(plain.items()):
        if len(cs) > 1:
            err(ofile, f"plain name '{text}' maps to several countries: {','.join(sorted(cs))}")

    # ------------------------------------------------------------ blocs
    bfile = "blocs.yaml"
    if (ddir / bfile).exists():
        b = load(ddir / bfile)
        check_keys(bfile, "top", b, ("version", "as_of", "blocs"), ("version", "as_of", "blocs"))
        check_header(bfile, b)
        seen = set()
        for i, bl in enumerate(b["blocs"]):
            where = f"blocs[{i}]"
            check_keys(bfile, where, bl, ("code", "name", "type", "names", "members", "source"),
                       ("code", "name", "type", "names", "members", "source"))
            bc = bl.get("code")
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(bc)):
                err(bfile, f"{where}: code must be upper case: {bc!r}")
            if bc in seen:
                err(bfile, f"{where}: duplicate bloc code {bc}")
            seen.add(bc)
            if bl.get("type") not in ("organization", "media", "igo", "government_body",
                                       "armed_group", "company"):
                err(bfile, f"{where}: bad type {bl.get('type')!r}")
            terms(bfile, f"{bc}.names", bl.get("names"))
            mseen = set()
            for j, m in enumerate(bl.get("members") or []):
                mw = f"{bc}.members[{j}]"
                check_keys(bfile, mw, m, ("country", "since", "until"), ("country", "since"))
                if m.get("country") not in codes:
                    err(bfile, f"{mw}: unknown country {m.get('country')!r}")
                if m.get("country") in mseen:
                    err(bfile, f"{mw}: {m.get('country')} listed twice")
                mseen.add(m.get("country"))
                s = as_date(bfile, mw, m.get("since"))
                u = as_date(bfile, mw, m["until"]) if "until" in m else None
                if s and u and s > u:
                    err(bfile, f"{mw}: since {s} after until {u}")

    # ------------------------------------------------------------ organizations
    gfile = "organizations.yaml"
    orgs_names = set()
    if (ddir / gfile).exists():
        g = load(ddir / gfile)
        check_keys(gfile, "top", g, ("version", "as_of", "organizations"),
                   ("version", "as_of", "organizations"))
        check_header(gfile, g)
        ids = set()
        for i, og in enumerate(g["organizations"]):
            where = f"organizations[{i}]"
            check_keys(gfile, where, og, ("id", "name", "type", "country", "code", "names", "source"),
                       ("id", "name", "type", "code", "names"))
            oid = og.get("id", "")
            if not re.fullmatch(r"org:[a-z0-9_]+", str(oid)):
                err(gfile, f"{where}: bad id {oid!r} (org: + lower-case ascii slug)")
            if oid in ids:
                err(gfile, f"{where}: duplicate id {oid}")
            ids.add(oid)
            t = og.get("type")
            if t not in ("organization", "media", "igo", "government_body", "armed_group", "company"):
                err(gfile, f"{oid}: bad type {t!r}")
            if t == "igo" and "country" in og:
                err(gfile, f"{oid}: an igo has no country")
            if t != "igo" and og.get("country") not in codes:
                err(gfile, f"{oid}: unknown or missing country {og.get('country')!r}")
            if og.get("code") not in ("GOV", "MIL", "LEG", "JUD", "COP", "SPY", "OPP", "PTY",
                                      "MED", "BUS", "ELI", "IGO", "NGO", "REB", "CVL") \
                    and not (t == "igo" and og.get("code") == "UNO"):  # the UN system: IGOUNO
                err(gfile, f"{oid}: bad CAMEO code {og.get('code')!r}")
            for text, flags in terms(gfile, f"{oid}.names", og.get("names")):
                if text.casefold() == "security council":
                    err(gfile, f"{oid}: bare 'Security Council' is not allowed")
                orgs_names.add(text.casefold())

    # ------------------------------------------------------------ discards
    dfile = "discards.yaml"
    if (ddir / dfile).exists():
        dd = load(ddir / dfile)
        check_keys(dfile, "top", dd, ("version", "as_of", "discards"), ("version", "as_of", "discards"))
        check_header(dfile, dd)
        for text, _ in terms(dfile, "discards", dd.get("discards")):
            f = text.casefold()
            if f in plain or f in ambiguous or f in orgs_names:
                err(dfile, f"discard '{text}' equals a country/organisation name")

    # ------------------------------------------------------------ generator
    r = subprocess.run([sys.executable, str(ROOT / "tools/gen-countries.py"), "--check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        err(cfile, r.stderr.strip() or "gen-countries.py --check failed")

    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s)", file=sys.stderr)
        return 1
    print("dictionaries OK: %d countries, %d overlay entries" % (len(codes), len(o["countries"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
