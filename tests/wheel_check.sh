#!/usr/bin/env bash
# Install the built wheel into a clean virtualenv beside distributions that own the generic
# top-level names `scanners` and `reports` (as unrelated projects on the package index do),
# then run auditor from another folder: the plugins must still be found through their
# entry points and the demo must scan. Usage: tests/wheel_check.sh (from the repository).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip wheel --no-deps -q -w "$work/dist" "$repo"
python3 -m venv "$work/venv"
for name in scanners reports; do  # unrelated packages with the generic names
  mkdir -p "$work/unrelated-$name/$name"
  printf 'raise ImportError("unrelated package %s imported by auditor")\n' "$name" \
    > "$work/unrelated-$name/$name/__init__.py"
  printf '[project]\nname = "unrelated-%s"\nversion = "1"\n[tool.setuptools]\npackages = ["%s"]\n' \
    "$name" "$name" > "$work/unrelated-$name/pyproject.toml"
  "$work/venv/bin/pip" install -q "$work/unrelated-$name"
done
"$work/venv/bin/pip" install -q "$work"/dist/auditor-*.whl
cd "$work"
"$work/venv/bin/auditor" scanners > "$work/scanners.txt"
grep -q sqldump "$work/scanners.txt"
set +e
AUDITOR_HASH_KEY=wheel-check "$work/venv/bin/auditor" scan "$repo/fixtures/demo" \
  --as-of 2026-11-25 --format json -o "$work/out" -q
code=$?
set -e
[ "$code" -eq 1 ] || { echo "wheel check: demo scan exit $code, expected 1"; exit 1; }
"$work/venv/bin/python" - "$work/out/report.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert all(t["status"] != "error" for t in doc["targets"]), "a target failed"
assert len(doc["findings"]) > 100, len(doc["findings"])
print(f"wheel check: ok, {len(doc['findings'])} findings from the installed wheel")
PY
