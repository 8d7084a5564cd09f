#!/bin/sh
# make check-install: `make install DESTDIR=...` produces the expected tree,
# the installed binary validates the installed config, a reinstall keeps an
# operator's edited config, the unit passes `systemd-analyze verify` (when
# systemd-analyze exists), and the man page names every long option that
# `geowire CMD --help` lists.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/gw-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

make -s install DESTDIR="$tmp" PREFIX=/usr >/dev/null
for f in usr/bin/geowire etc/geowire/geowire.yaml etc/geowire/dictionaries/people.yaml \
         etc/geowire/dictionaries/themes.yaml etc/geowire/dictionaries/countries.yaml \
         usr/lib/systemd/system/geowire.service usr/share/man/man1/geowire.1 \
         usr/share/geowire/record.schema.json; do
    [ -f "$tmp/$f" ] || fail "missing $f"
done
[ -x "$tmp/usr/bin/geowire" ] || fail "usr/bin/geowire is not executable"
unit="$tmp/usr/lib/systemd/system/geowire.service"
! grep -q '@[A-Z]*@' "$unit" || fail "placeholders left in the unit"
grep -q '^ExecStart=/usr/bin/geowire run -c /etc/geowire/geowire.yaml$' "$unit" || fail "ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "ExecReload"
for k in Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
         PrivateTmp=yes DynamicUser=yes; do
    grep -q "^$k\$" "$unit" || fail "unit lacks $k"
done
"$tmp/usr/bin/geowire" check -c "$tmp/etc/geowire/geowire.yaml" >/dev/null \
    || fail "the installed binary rejects the installed config"

# A reinstall keeps the operator's config and writes the shipped one beside it.
echo "# edited by the operator" >> "$tmp/etc/geowire/geowire.yaml"
make -s install DESTDIR="$tmp" PREFIX=/usr >/dev/null
grep -q "edited by the operator" "$tmp/etc/geowire/geowire.yaml" || fail "reinstall overwrote the config"
cmp -s config/geowire.yaml "$tmp/etc/geowire/geowire.yaml.dist" || fail "no geowire.yaml.dist"

make -s uninstall DESTDIR="$tmp" PREFIX=/usr >/dev/null
[ ! -e "$tmp/usr/bin/geowire" ] || fail "uninstall left the binary"
[ -f "$tmp/etc/geowire/geowire.yaml" ] || fail "uninstall removed the operator's config"
make -s install DESTDIR="$tmp" PREFIX=/usr >/dev/null

if command -v systemd-analyze >/dev/null 2>&1; then
    # verify resolves ExecStart= on the running system: point it at the
    # staged binary, and man: at the staged man page.
    mkdir -p "$tmp/verify"
    sed "s|/usr/bin/geowire|$tmp/usr/bin/geowire|g" "$unit" > "$tmp/verify/geowire.service"
    MANPATH="$tmp/usr/share/man" systemd-analyze verify "$tmp/verify/geowire.service" \
        || fail "systemd-analyze verify"
    echo "check-install: systemd-analyze verify passed"
else
    echo "check-install: systemd-analyze not installed; unit not verified"
fi

# Every long option of every command's --help is in the man page.
man_text=$(sed 's/\\-/-/g' packaging/geowire.1)
for cmd in run tag check broker redrive; do
    for opt in $(build/geowire "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        printf '%s' "$man_text" | grep -q -- "$opt" || fail "man page lacks geowire $cmd $opt"
    done
done
echo "check-install: ok"
