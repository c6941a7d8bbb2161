#!/usr/bin/env bash
# Acceptance of the README's Quick start on a fresh clone (issue #17). Clones this repository's
# HEAD into an empty temporary folder (nothing next to it, so no ../shared; no HEARTH_* variables)
# and runs the README's two commands exactly as written:
#   npm ci && npm start   must answer GET /api/health with {"status":"ok"} on 127.0.0.1:8787
#                         (HEARTH_PORT is set to a free port only when 8787 is taken);
#   npm ci && npm test    must exit 0 (the corpus suites are skipped there, and must say so).
# .ci/run runs it after the main suite. `--worktree` also carries over uncommitted changes
# (tracked and untracked, minus .gitignore), to try it before committing.
# With CORPUS_SUITES_OUT=FILE, it writes there the test files whose corpus suites the clone
# skipped, one a line, so .ci/run runs just those again where ../shared/data is.
set -euo pipefail
corpus_suites_out=${CORPUS_SUITES_OUT:-}

if [ -n "${HEARTH_FRESH_CLONE_CHECK:-}" ]; then
  echo "fresh-clone check: already inside one (HEARTH_FRESH_CLONE_CHECK is set); not recursing" >&2
  exit 0
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
worktree=false
[ "${1:-}" = "--worktree" ] && worktree=true

# A new user's environment: none of Hearth's variables (HEARTH_TEST_CORPORA included).
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^HEARTH_' || true)
export HEARTH_FRESH_CLONE_CHECK=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-fresh-clone.XXXXXX")
start_pid=
cleanup() {
  if [ -n "$start_pid" ] && kill -0 "$start_pid" 2>/dev/null; then
    kill -TERM -- "-$start_pid" 2>/dev/null || true
    wait "$start_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
clone="$tmp/hearth"
began=$SECONDS
step() { echo "fresh-clone check [$((SECONDS - began))s]: $*"; }

git clone --quiet --no-local "$repo" "$clone"
if $worktree; then
  if ! git -C "$repo" diff --quiet HEAD; then git -C "$repo" diff --binary HEAD | git -C "$clone" apply --binary; fi
  (cd "$repo" && git ls-files -z --others --exclude-standard | tar --null -T - -cf -) | tar -C "$clone" -xf -
fi
[ ! -e "$clone/../shared" ] || { echo "fresh-clone check: $clone/../shared exists; the clone must not see the corpora" >&2; exit 1; }
step "cloned $(git -C "$clone" rev-parse --short HEAD)$($worktree && echo ' + work tree') into $clone"
cd "$clone"

port=8787
if (exec 3<>/dev/tcp/127.0.0.1/8787) 2>/dev/null; then
  port=$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
  export HEARTH_PORT=$port
  step "8787 is taken here; HEARTH_PORT=$port"
fi
healthy() {
  node -e "fetch('http://127.0.0.1:$port/api/health').then((r) => r.json()).then((j) => process.exit(j.status === 'ok' ? 0 : 1), () => process.exit(1))"
}

step 'npm ci && npm start'
setsid bash -c 'npm ci && npm start' >"$tmp/start.log" 2>&1 &
start_pid=$!
until healthy; do
  if ! kill -0 "$start_pid" 2>/dev/null; then
    tail -n 40 "$tmp/start.log" >&2
    echo "fresh-clone check: \`npm ci && npm start\` exited before GET /api/health answered" >&2
    exit 1
  fi
  if [ $((SECONDS - began)) -gt 900 ]; then
    tail -n 40 "$tmp/start.log" >&2
    echo "fresh-clone check: GET /api/health did not answer within 15 minutes" >&2
    exit 1
  fi
  sleep 1
done
step "GET http://127.0.0.1:$port/api/health answered {\"status\":\"ok\"}"
kill -TERM -- "-$start_pid"
wait "$start_pid" 2>/dev/null || true
start_pid=
unset HEARTH_PORT

step 'npm ci && npm test'
set +e
bash -c 'npm ci && npm test' 2>&1 | tee "$tmp/test.log"
code=${PIPESTATUS[0]}
set -e
if [ "$code" -ne 0 ]; then
  echo "fresh-clone check: \`npm ci && npm test\` exited $code" >&2
  exit 1
fi
if ! grep -q 'skipped [0-9]* corpus suites\?: ../shared/data' "$tmp/test.log"; then
  echo "fresh-clone check: the suite did not report its skipped corpus suites" >&2
  exit 1
fi
if [ -n "$corpus_suites_out" ]; then
  sed -n 's/^  - \(test\/[^ ]*\.test\.ts\) › .*/\1/p' "$tmp/test.log" | sort -u >"$corpus_suites_out"
  step "$(wc -l <"$corpus_suites_out") test files had corpus suites skipped (listed in $corpus_suites_out)"
fi
step 'passed'
