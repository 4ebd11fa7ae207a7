#!/usr/bin/env bash
# A/B load test: the lumamock binary built at BASE (a git revision, default origin/main or HEAD~1) against the
# one built from the working tree, and a bare net/http handler, each loaded in turn with wrk on loopback for
# ROUNDS rounds (default 10) of DURATION (default 4s), the order of the two mocks alternating. Prints each round
# and the median ratios, so a change's speed is judged against the noise of the same run; and each server's CPU
# time per request, which other work on the machine disturbs much less than requests/s.
#   scripts/loadtest-ab.sh 2107f98
# SESSIONS=N spreads the requests over N sessions served in turn (see scripts/loadtest.lua); a BASE without
# sessions serves them all in one, so the ratio is the cost of the N sessions:
#   SESSIONS=1000 scripts/loadtest-ab.sh 2107f98
# The servers listen on PORT, PORT+1 and PORT+2 (PORT default 18090); a port already in use stops the run, so
# that two runs at once never measure each other's servers. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-$(git rev-parse --verify -q origin/main || git rev-parse HEAD~1)}
rounds=${ROUNDS:-10}
duration=${DURATION:-4s}
conns=${CONNS:-32}
port=${PORT:-18090}
base_port=$port head_port=$((port + 1)) bare_port=$((port + 2))
for p in $base_port $head_port $bare_port; do
  if (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use (another load test?): set PORT" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$tmp/base-tree" 2>/dev/null || true; rm -rf "$tmp"' EXIT

git worktree add -q --detach "$tmp/base-tree" "$base"
(cd "$tmp/base-tree" && go build -o "$tmp/lumamock-base" ./cmd/lumamock)
go build -o "$tmp/lumamock-head" ./cmd/lumamock
go build -o "$tmp/bare" ./internal/cmd/bare

"$tmp/lumamock-base" --addr 127.0.0.1:$base_port --api-key load-test-key --log-format json >/dev/null 2>&1 & base_pid=$!
"$tmp/lumamock-head" --addr 127.0.0.1:$head_port --api-key load-test-key --log-format json >/dev/null 2>&1 & head_pid=$!
"$tmp/bare" --addr 127.0.0.1:$bare_port & bare_pid=$!
sleep 1
for pid in $base_pid $head_pid $bare_pid; do
  kill -0 "$pid" 2>/dev/null || { echo "a server did not start (see above)" >&2; exit 1; }
done
# cpu PID: the CPU time PID has used, in clock ticks (user + system).
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
# load PORT PID: "<requests/s> <server CPU µs per request>" of a wrk run against the server PID on PORT. The CPU
# per request is what other processes on the machine disturb least.
load() {
  local before after out
  before=$(cpu "$2")
  out=$(wrk -t2 -c"$conns" -d"$duration" -s scripts/loadtest.lua "http://127.0.0.1:$1/luma/generations")
  after=$(cpu "$2")
  echo "$out" | awk -v ticks=$((after - before)) -v us="$tick_us" -v d="${duration%s}" '
    /^RESULT/ { split($2, a, "="); rps = a[2]; printf "%s %.1f", rps, (rps > 0 ? ticks * us / (rps * d) : 0) }'
}
echo "base $(git rev-parse --short "$base") vs the working tree; $rounds rounds of $duration; sessions: ${SESSIONS:-0}"
for i in $(seq "$rounds"); do
  if [ $((i % 2)) = 0 ]; then h=$(load $head_port $head_pid); b=$(load $base_port $base_pid); else b=$(load $base_port $base_pid); h=$(load $head_port $head_pid); fi
  bare=$(load $bare_port $bare_pid)
  echo "$i $b $h $bare"
done | tee "$tmp/rounds" | awk '{printf "round %s: base %s, head %s, bare %s req/s; head/base %.3f, head/bare %.3f; server CPU per request: base %s, head %s, bare %s µs\n", $1, $2, $4, $6, $4/$2, $4/$6, $3, $5, $7}'
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
echo "median head/base: $(awk '{print $4/$2}' "$tmp/rounds" | median)"
echo "median base/bare: $(awk '{print $2/$6}' "$tmp/rounds" | median)"
echo "median head/bare: $(awk '{print $4/$6}' "$tmp/rounds" | median)"
echo "median server CPU per request, head/base: $(awk '$3 > 0 {print $5/$3}' "$tmp/rounds" | median)"
