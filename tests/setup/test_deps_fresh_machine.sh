#!/usr/bin/env bash
# scripts/deps on a machine where packages are missing, simulated with stand-ins for dpkg-query,
# apt-get and id placed first on PATH. Real dpkg-query exits 1 when any named package is not
# installed; the stand-in does the same, which is what broke the old script (silent exit under
# set -e before anything was printed or installed).
set -uo pipefail
deps=${1:?usage: test_deps_fresh_machine.sh path/to/scripts/deps}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bin="$tmp/bin"; mkdir -p "$bin"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# dpkg-query -W -f=FMT PKG...: every package installed except those listed in $tmp/missing,
# minus those the stand-in apt-get has "installed" since.
cat >"$bin/dpkg-query" <<'STANDIN'
#!/usr/bin/env bash
rc=0
for p in "$@"; do
  [[ "$p" == -* ]] && continue
  if grep -qx "$p" "$STANDIN_DIR/missing" && ! grep -qx "$p" "$STANDIN_DIR/installed" 2>/dev/null; then
    echo "dpkg-query: no packages found matching $p" >&2; rc=1
  else
    echo "$p install ok installed"
  fi
done
exit $rc
STANDIN
# apt-get: records its arguments; "install" marks the named packages installed unless told to fail.
cat >"$bin/apt-get" <<'STANDIN'
#!/usr/bin/env bash
echo "apt-get $*" >>"$STANDIN_DIR/apt.log"
if [[ " $* " == *" install "* ]]; then
  [[ -f "$STANDIN_DIR/fail-install" ]] && { echo "E: Unable to locate package" >&2; exit 100; }
  for p in "$@"; do [[ "$p" == -* || "$p" == install ]] || echo "$p" >>"$STANDIN_DIR/installed"; done
fi
exit 0
STANDIN
printf '#!/bin/sh\n[ "$1" = -u ] && { echo 0; exit 0; }\nexec /usr/bin/id "$@"\n' >"$bin/id"
printf '#!/bin/sh\nexit 0\n' >"$bin/npm"
chmod +x "$bin"/*

run_deps() { # -> $tmp/out, returns the script's status
  rm -f "$tmp/apt.log" "$tmp/installed"
  STANDIN_DIR="$tmp" PATH="$bin:$PATH" DASHCLAIM_DEPS_ONLY=packages \
    DASHCLAIM_DEPS_DIR="$tmp/cache" bash "$deps" >"$tmp/out" 2>&1
}

# 1. Two packages missing: both are named, and one apt-get install names exactly them.
printf 'libjansson-dev\nlibmicrohttpd-dev\n' >"$tmp/missing"
run_deps; rc=$?
[[ $rc == 0 ]] || fail "deps exited $rc with packages missing; output:
$(cat "$tmp/out")"
grep -q 'missing Debian packages: .*libjansson-dev' "$tmp/out" || fail "the missing package is not named"
grep -q 'libmicrohttpd-dev' "$tmp/out" || fail "the second missing package is not named"
grep -qx 'apt-get install -y -q --no-install-recommends libjansson-dev libmicrohttpd-dev' "$tmp/apt.log" 2>/dev/null \
  || fail "expected one 'apt-get install -y -q --no-install-recommends libjansson-dev libmicrohttpd-dev'; apt-get saw:
$(cat "$tmp/apt.log" 2>/dev/null)"

# 2. Nothing missing: apt-get install is not run.
: >"$tmp/missing"
run_deps; rc=$?
[[ $rc == 0 ]] || fail "deps exited $rc with every package present"
grep -q 'install' "$tmp/apt.log" 2>/dev/null && fail "apt-get install ran although nothing was missing"
grep -q 'all .* present' "$tmp/out" || fail "no 'all present' line"

# 3. apt-get install fails: a non-zero exit and a message that names the packages, never silence.
echo libcmocka-dev >"$tmp/missing"; touch "$tmp/fail-install"
run_deps; rc=$?
rm -f "$tmp/fail-install"
[[ $rc != 0 ]] || fail "deps succeeded although apt-get install failed"
grep -q 'error: .*libcmocka-dev' "$tmp/out" || fail "the failure does not name the package:
$(cat "$tmp/out")"

if ((failures)); then echo "$failures check(s) failed" >&2; exit 1; fi
echo "scripts/deps: fresh-machine package checks passed"
