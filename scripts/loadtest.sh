#!/usr/bin/env bash
# Load test: the source example POSTed with wrk (-t2 -c32 -d10s by default) to the built lumamock binary, then
# to a bare net/http handler answering a fixed body, one after the other, on loopback. Prints both and the
# ratios. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
conns=${CONNS:-32}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/lumamock" ./cmd/lumamock
go build -o "$tmp/bare" ./internal/cmd/bare
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer load-test-key"
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.0f p99=%.0f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA

run() { # name url
  wrk -t2 -c"$conns" -d"$duration" --latency -s "$tmp/post.lua" "$2/luma/generations" > "$tmp/$1.txt"
  grep RESULT "$tmp/$1.txt" | sed "s/^RESULT/$1/"
}

"$tmp/lumamock" --addr 127.0.0.1:18080 --api-key load-test-key --log-format json 2>"$tmp/mock.log" >/dev/null &
mock_pid=$!
"$tmp/bare" --addr 127.0.0.1:18081 &
sleep 1
rss_before=$(ps -o rss= -p $mock_pid)
mock=$(run lumamock http://127.0.0.1:18080)
bare=$(run bare http://127.0.0.1:18081)
rss_after=$(ps -o rss= -p $mock_pid)
echo "$mock"
echo "$bare"
awk -v m="$mock" -v b="$bare" 'BEGIN {
  split(m, mf, /[ =]/); split(b, bf, /[ =]/)
  printf "throughput ratio (lumamock/bare): %.2f\n", mf[3] / bf[3]
  printf "p99 ratio (lumamock/bare): %.2f\n", mf[7] / bf[7]
}'
echo "lumamock RSS: ${rss_before} KiB before, ${rss_after} KiB after; log lines: $(wc -l < "$tmp/mock.log")"
