-- The request both load tests send: the source example, POSTed with a key the servers accept. done prints a
-- RESULT line the scripts read.
--
-- SESSIONS=N in the environment spreads the requests over N sessions, X-Lumamock-Session: load-0 … load-(N-1),
-- each served in turn (a server without sessions ignores the header); unset or 0, they name none (the session
-- default).
wrk.method = "POST"
wrk.body = '{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer load-test-key"

local sessions = tonumber(os.getenv("SESSIONS") or "0") or 0
if sessions > 0 then
  local n = math.random(0, sessions - 1) -- each wrk thread starts somewhere else in the turn
  request = function()
    n = (n + 1) % sessions
    wrk.headers["X-Lumamock-Session"] = "load-" .. n
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.0f p99=%.0f errors=%d non2xx=%d requests=%d seconds=%.3f\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status,
    summary.requests, summary.duration / 1e6))
end
