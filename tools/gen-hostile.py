#!/usr/bin/env python3
"""Writes the hostile input file for `geowire tag` robustness tests.

    python3 tools/gen-hostile.py [--out build/fixtures/hostile.txt] [--bomb FILE]

With --bomb alone it writes only the billion-laughs YAML config.

Every line (separated by a single b"\\n") is something a broken or malicious
producer could put on the input topic. The file is bytes, not text: some
lines hold NUL bytes, invalid UTF-8 or a lone CR. The test that uses it
checks that `geowire tag` prints exactly one output line per input line.
Prints the number of lines on stdout. Deterministic: same output every run.
Pure standard library (Python 3.11).
"""
import argparse
import json
import os
import sys


def obj(**kw):
    return json.dumps(kw, ensure_ascii=False).encode("utf-8")


def build():
    L = []  # list of byte strings, none containing b"\n"

    # --- not JSON at all / broken JSON -----------------------------------
    L.append(b"this is not json")
    L.append(b"{")
    L.append(b"}")
    L.append(b'{"id": "t1", "title": "unterminated')
    L.append(b'{"id": "t2", "title": "trailing comma",}')
    L.append(b'{"id": "t3" "title": "missing colon"}')
    L.append(b"{'id': 't4', 'title': 'single quotes'}")
    L.append(b'{"id": "t5", "title": "ok"} {"id": "t6"}')          # two values on a line
    L.append(b'{"id": "t7", "title": NaN}')
    L.append(b'{"id": "t8", "title": "x", "body": "y"} trailing')
    L.append(b'\xef\xbb\xbf{"id": "bom", "title": "BOM before the object", "body": "Russia"}')

    # --- valid JSON, wrong top-level type --------------------------------
    L.append(b"[]")
    L.append(b'["Russia", "Malaysia"]')
    L.append(b'"a bare JSON string about Russia"')
    L.append(b"42")
    L.append(b"-0.0e-400")
    L.append(b"1" * 5000)                                               # huge number
    L.append(b"true")
    L.append(b"null")

    # --- deep nesting ----------------------------------------------------
    L.append(b"[" * 10000 + b"]" * 10000)
    L.append(b'{"a":' * 10000 + b"1" + b"}" * 10000)
    L.append(b'{"id": "deep-body", "title": "nested body", "body": ' + b"[" * 10000 + b"]" * 10000 + b"}")
    L.append(b"[" * 10000)                                             # deep and unterminated

    # --- objects with missing or mistyped fields -------------------------
    L.append(b"{}")
    L.append(obj(id="no-text", source="AFP", published_at="2025-03-10"))
    L.append(obj(id="null-title", title=None, body=None))
    L.append(obj(id="num-title", title=12345, body="Vladimir Putin met Anwar Ibrahim."))
    L.append(obj(id="num-body", title="Numeric body", body=3.14))
    L.append(obj(id="array-title", title=["Russia", "ASEAN"], body="text"))
    L.append(obj(id="obj-body", title="Object body", body={"text": "Russia"}))
    L.append(obj(id=12345, title="Numeric id", body="Russia and Malaysia"))
    L.append(obj(id=None, title="Null id", body="Indonesia"))
    L.append(obj(id="bad-date", title="Date is garbage", body="Russia", published_at="yesterday-ish"))
    L.append(obj(id="num-date", title="Date is a number", body="Russia", published_at=1741564800))
    L.append(obj(id="date-far", title="Far future", body="Russia", published_at="99999-12-31T25:61:61Z"))
    L.append(obj(id="bad-lang", title="Odd lang", body="Russia", lang="xx-\u0000-zz"))
    L.append(obj(id="lang-num", title="Numeric lang", body="Russia", lang=7))
    L.append(obj(id="text-field", text="Body given as text: Sergei Shoigu visited Kuala Lumpur."))
    L.append(obj(id="both-body-text", title="both", body="Malaysia", text="Indonesia"))
    L.append(b'{"id": "dup-keys", "title": "first", "title": "second", "body": "Russia", "body": 5}')
    L.append(obj(id="empty-strings", title="", body=""))
    L.append(obj(id="ws-strings", title="   ", body="\t\r\n "))
    L.append(obj(id="many-keys", **{f"k{i}": i for i in range(20000)}, title="Many keys", body="Russia"))
    L.append(obj(id="x" * 100000, title="A 100 kB id", body="Russia"))

    # --- size ------------------------------------------------------------
    big = "Russia and Malaysia discussed defence cooperation. " * (2 * 1024 * 1024 // 51 + 1)
    L.append(obj(id="two-mb", title="A 2 MB body", body=big[: 2 * 1024 * 1024]))
    L.append(obj(id="repeat-name", title="One name 100k times",
                 body="Vladimir Putin " * 100000))
    L.append(obj(id="repeat-nospace", title="No separators",
                 body="RussiaMalaysiaIndonesia" * 20000))
    L.append(b'{"id": "two-mb-junk", "title": "' + b"A" * (2 * 1024 * 1024) + b'"}')

    # Past max_item_bytes (1 MiB by default): each is too_large before any
    # parsing, which is the bounded outcome; tests/unit/test_hostile.c runs
    # the same shapes through a pipeline with the limit raised.
    L.append(obj(id="ten-mb", title="A 10 MB item",
                 body=("Russia and Malaysia. " * (10 * 1024 * 1024 // 21 + 1))[: 10 * 1024 * 1024]))
    L.append(b'{"id": "array-1m", "title": "A million entries", "body": "Russia", "tags": ['
             + b"0," * 999999 + b"0]}")
    L.append(obj(id="putin-1m", title="One name a million times", body="Putin " * 1000000))

    # --- NUL bytes (a line can hold \0 but not \n) -----------------------
    L.append(b"\x00")
    L.append(b'{"id": "raw-nul", "title": "Russia\x00Malaysia", "body": "x"}')
    L.append(b'{"id": "nul-after", "title": "fine", "body": "Russia"}\x00\x00')
    L.append(obj(id="escaped-nul", title="Russia\u0000Malaysia", body="Sergei\u0000Shoigu met Anwar Ibrahim"))
    L.append(b"\x00" * 1000)

    # --- bad UTF-8 -------------------------------------------------------
    L.append(b'{"id": "invalid-utf8", "title": "Malaysia \xff\xfe", "body": "Russia \xc3"}')
    L.append(b'{"id": "overlong-slash", "title": "\xc0\xaf overlong slash", "body": "Russia"}')
    L.append(b'{"id": "overlong-quote", "title": "overlong quote \xc0\xa2 here", "body": "x"}')
    L.append(b'{"id": "overlong-nul", "title": "modified UTF-8 NUL \xc0\x80", "body": "x"}')
    L.append(b'{"id": "overlong-3", "title": "\xe0\x80\xaf", "body": "\xf0\x80\x80\xaf"}')
    L.append(b'{"id": "utf8-surrogate", "title": "raw surrogate \xed\xa0\x80", "body": "Russia"}')
    L.append(b'{"id": "beyond-10ffff", "title": "\xf4\x90\x80\x80", "body": "\xf8\x88\x80\x80\x80"}')
    L.append(b'{"id": "truncated-seq", "title": "Rossiya \xd0", "body": "\xe2\x82"}')
    L.append(b"\xff\xfe\xfd")
    L.append("Россия и Малайзия".encode("cp1251"))                      # legacy 8-bit text
    L.append(b'{"id": "latin1", "title": "C\xf4te d\'Ivoire", "body": "T\xfcrkiye"}')

    # --- JSON escapes that decode to nonsense ----------------------------
    L.append(b'{"id": "lone-high", "title": "\\ud800", "body": "Russia \\ud800 Malaysia"}')
    L.append(b'{"id": "lone-low", "title": "\\udc00 Russia", "body": "x"}')
    L.append(b'{"id": "reversed-pair", "title": "\\udc00\\ud800", "body": "x"}')
    L.append(b'{"id": "high-high", "title": "\\ud800\\ud800", "body": "x"}')
    L.append(b'{"id": "bad-escape", "title": "\\x41 \\q", "body": "x"}')
    L.append(b'{"id": "short-u", "title": "\\u12", "body": "x"}')
    L.append(b'{"id": "ok-pair", "title": "emoji \\ud83c\\uddf7\\ud83c\\uddfa Russia", "body": "x"}')
    L.append(b'{"id": "ctrl-raw", "title": "tab\there and bell\x07 and esc\x1b", "body": "Russia"}')

    # --- markup, bidi, invisible characters ------------------------------
    L.append(obj(id="html", title="<b>Russia</b> &amp; <i>Malaysia</i>",
                 body="<p>Sergei&nbsp;Shoigu met <a href=\"x\">Anwar&#32;Ibrahim</a> &lt;script&gt;"
                      "alert(1)&lt;/script&gt; &#x0; &#1114112; &bogus; &#xD800;</p>"
                      "<script>while(1){}</script><!-- Russia -->"))
    L.append(obj(id="rtl", title="\u202eaissuR\u202c and \u200fروسيا\u200f",
                 body="\u202bماليزيا Malaysia \u202c \u2067Russia\u2069 \u061c"))
    L.append(obj(id="zero-width", title="Rus\u200bsia",
                 body="Ma\u200clay\u200dsia \ufeffIndonesia\u2060 Sergei\u00adShoigu Vla\u200bdimir Putin"))
    L.append(obj(id="combining", title="Russia\u0301\u0301\u0301" + "\u0300" * 5000,
                 body="Z\u0351\u0352\u0353\u0354" * 2000))
    L.append(obj(id="nfd", title="Co\u0302te d'Ivoire and Tu\u0308rkiye", body="Vie\u0302\u0323t Nam"))
    L.append(obj(id="turkish-i", title="\u0130stanbul \u0130ND\u0130A", body="\u0131ndonesia"))
    L.append(obj(id="fullwidth", title="\uff32\uff55\uff53\uff53\uff49\uff41", body="\uff2d\uff41\uff4c\uff41\uff59\uff53\uff49\uff41"))
    L.append(obj(id="noncharacters", title="\ufffe\uffff\U0010ffff", body="\ufdd0 Russia"))
    L.append(obj(id="ligature", title="\ufb01nance of Russia", body="\u2163 summit"))
    L.append(obj(id="line-sep", title="Russia\u2028Malaysia\u2029Indonesia", body="\u0085next line"))

    # --- blank and near-blank lines --------------------------------------
    L.append(b"")
    L.append(b"")
    L.append(b" " * 200)
    L.append(b"\t \t")
    L.append(b"\r")
    L.append(b'{"id": "crlf", "title": "CR before LF", "body": "Russia"}\r')
    L.append(b" " * 100000)

    # --- finally, a couple of good items so the test sees both kinds -----
    L.append(obj(id="good-1", title="Russia's Shoigu visits Malaysia",
                 body="Security Council Secretary Sergei Shoigu met Prime Minister Anwar Ibrahim.",
                 published_at="2025-03-10T08:00:00Z", lang="en"))
    L.append(obj(id="good-2", title="Jalan raya", body="Seorang wanita melintas jalan.", lang="ms"))
    return L


# The billion-laughs config: nine levels of ten aliases (10^9 "lol"s if a
# loader expanded them). geowire refuses YAML anchors at the first one.
BOMB = (
    "kafka:\n  brokers: embedded\n  group_id: bomb\n"
    'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="the hostile lines (default build/fixtures/hostile.txt, "
                    "or none when only --bomb is given)")
    ap.add_argument("--bomb", help="write the billion-laughs YAML config to this file")
    args = ap.parse_args()
    if args.bomb:
        with open(args.bomb, "w") as fh:
            fh.write(BOMB)
        if not args.out:
            return 0
    args.out = args.out or "build/fixtures/hostile.txt"
    lines = build()
    for i, line in enumerate(lines):
        if b"\n" in line:
            sys.exit(f"gen-hostile.py: internal error: line {i + 1} holds a newline")
    d = os.path.dirname(args.out)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(args.out, "wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
    print(len(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
