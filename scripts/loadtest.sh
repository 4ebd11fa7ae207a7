#!/usr/bin/env bash
# Load test: the source example POSTed with wrk (-t2 -c32 -d10s by default) to the built lumamock binary, then
# to a bare net/http handler answering a fixed body, then to the same handler behind kin-openapi routing and
# validation only, one after the other, on loopback. Prints each and the ratios. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
conns=${CONNS:-32}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/lumamock" ./cmd/lumamock
go build -o "$tmp/bare" ./internal/cmd/bare

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks

run() { # name url pid
  local before after
  before=$(cpu_ticks "$3")
  wrk -t2 -c"$conns" -d"$duration" --latency -s scripts/loadtest.lua "$2/luma/generations" > "$tmp/$1.txt"
  after=$(cpu_ticks "$3")
  local requests
  requests=$(grep -Eo '^ *[0-9]+ requests' "$tmp/$1.txt" | grep -Eo '[0-9]+')
  grep RESULT "$tmp/$1.txt" | sed "s/^RESULT/$1/" | tr -d '\n'
  awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf " cpu_us_per_req=%.1f\n", t / hz * 1e6 / n }'
}

"$tmp/lumamock" --addr 127.0.0.1:18080 --api-key load-test-key --log-format json 2>"$tmp/mock.log" >/dev/null &
mock_pid=$!
"$tmp/bare" --addr 127.0.0.1:18081 &
bare_pid=$!
"$tmp/bare" --addr 127.0.0.1:18082 --kin &
kin_pid=$!
sleep 1
rss_before=$(ps -o rss= -p $mock_pid)
mock=$(run lumamock http://127.0.0.1:18080 $mock_pid)
bare=$(run bare http://127.0.0.1:18081 $bare_pid)
kin=$(run kin-only http://127.0.0.1:18082 $kin_pid)
rss_after=$(ps -o rss= -p $mock_pid)
echo "$mock"
echo "$bare"
echo "$kin"
awk -v m="$mock" -v b="$bare" -v k="$kin" 'BEGIN {
  split(m, mf, /[ =]/); split(b, bf, /[ =]/); split(k, kf, /[ =]/)
  printf "throughput ratio (kin-openapi routing+validation only/bare): %.2f\n", kf[3] / bf[3]
  printf "throughput ratio (lumamock/bare): %.2f\n", mf[3] / bf[3]
  printf "p99 ratio (lumamock/bare): %.2f\n", mf[7] / bf[7]
  printf "server CPU per request ratio (lumamock/bare): %.2f\n", mf[13] / bf[13]
}'
echo "lumamock RSS: ${rss_before} KiB before, ${rss_after} KiB after; log lines: $(wc -l < "$tmp/mock.log")"
