#!/usr/bin/env bash
# A/B load test: the lumamock binary built at BASE (a git revision, default origin/main or HEAD~1) against the
# one built from the working tree, and a bare net/http handler, loaded with wrk on loopback for ROUNDS rounds
# (default 10) of DURATION (default 4s) each. Each round is cut into SLICES slices (default 4, whole seconds
# each): in every slice each server is loaded in turn, in an order that turns from slice to slice, so that the
# three share whatever else the machine is doing at the time; a round's numbers are each server's requests over
# its whole time. Prints each round and the median ratios, so a change's speed is judged against the noise of
# the same run; and each server's CPU time per request, which other work on the machine disturbs much less than
# requests/s. SLICES=1 loads each server once a round, for the whole DURATION.
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
slices=${SLICES:-4}
seconds=${duration%s}
if ! [[ $seconds =~ ^[0-9]+$ && $slices =~ ^[1-9][0-9]*$ ]] || ((seconds % slices != 0)); then
  echo "DURATION ($duration) must be whole seconds, a multiple of SLICES ($slices)" >&2
  exit 1
fi
slice=$((seconds / slices))s
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
# load PORT PID: "<requests> <seconds> <server CPU ticks>" of one slice's wrk run against the server PID on PORT.
load() {
  local before after out
  before=$(cpu "$2")
  out=$(wrk -t2 -c"$conns" -d"$slice" -s scripts/loadtest.lua "http://127.0.0.1:$1/luma/generations")
  after=$(cpu "$2")
  echo "$out" | awk -v ticks=$((after - before)) '
    /^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["requests"], v["seconds"], ticks }'
}
declare -A port_of=([base]=$base_port [head]=$head_port [bare]=$bare_port) pid_of=([base]=$base_pid [head]=$head_pid [bare]=$bare_pid)
orders=("base head bare" "head bare base" "bare base head")
echo "base $(git rev-parse --short "$base") vs the working tree; $rounds rounds of $duration in $slices slices; sessions: ${SESSIONS:-0}"
for i in $(seq "$rounds"); do
  for s in $(seq "$slices"); do
    for name in ${orders[$(((i + s) % 3))]}; do
      echo "$name $(load "${port_of[$name]}" "${pid_of[$name]}")"
    done
  done | awk -v i="$i" -v us="$tick_us" '
    { n[$1] += $2; t[$1] += $3; c[$1] += $4 }
    END { printf "%s", i; for (k = 1; k <= 3; k++) { s = (k == 1 ? "base" : k == 2 ? "head" : "bare"); printf " %.0f %.1f", n[s] / t[s], (n[s] > 0 ? c[s] * us / n[s] : 0) } print "" }'
done | tee "$tmp/rounds" | awk '{printf "round %s: base %s, head %s, bare %s req/s; head/base %.3f, head/bare %.3f; server CPU per request: base %s, head %s, bare %s µs\n", $1, $2, $4, $6, $4/$2, $4/$6, $3, $5, $7}'
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
echo "median head/base: $(awk '{print $4/$2}' "$tmp/rounds" | median)"
echo "median base/bare: $(awk '{print $2/$6}' "$tmp/rounds" | median)"
echo "median head/bare: $(awk '{print $4/$6}' "$tmp/rounds" | median)"
echo "median server CPU per request, head/base: $(awk '$3 > 0 {print $5/$3}' "$tmp/rounds" | median)"
echo "lowest head/bare of a round: $(awk '{print $4/$6}' "$tmp/rounds" | sort -g | head -1)"
