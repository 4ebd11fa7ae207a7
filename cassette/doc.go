// Package cassette records HTTP exchanges with the Luma API as sanitized, diff-friendly JSON files and replays
// them offline.
//
// # Layout
//
// A cassette is a directory of JSON files, one per recorded message, named
//
//	<seq>.<kind>.<slug>.json     e.g. 000001.POST.luma-generations.json
//	                                  000002.GET.luma-generations-4665a07c-....json
//	                                  000003.CALLBACK.4665a07c-....json
//
// where seq (six digits) orders the files as they were recorded, kind is the request method (when it is a
// known HTTP method: GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE; else "other", since a
// method is text the client chose and could be a secret) or CALLBACK, and slug is the path (or the callback's
// task id), secrets redacted, made safe for file names. Each file holds one Entry, indented
// with keys in a fixed order, bodies as JSON values (keys sorted, numbers kept exactly) so that a re-recording
// diffs well:
//
//	{
//	  "version": 1,
//	  "seq": 1,
//	  "kind": "exchange",
//	  "recorded_at": "2025-01-02T03:04:05Z",
//	  "request":  {"method": "POST", "path": "/luma/generations", "header": {...}, "body": {...}},
//	  "response": {"status": 200, "header": {...}, "body": {...}},
//	  "findings": [ ...what the document said about the exchange... ]
//	}
//
// A callback entry ("kind": "callback") holds the POST the API sent to notify_hook as its request, the client
// hook's answer as its response, and in "exchange" the seq of the exchange that submitted the task.
//
// Sanitizing: a method that is one of the secrets is recorded as "[redacted]". Authorization, Proxy-Authorization, Cookie, Set-Cookie and any header whose name looks like a
// credential (api-key, token, secret) are left out. The values of credential-named query parameters (api_key,
// key, token, access_token, secret, signature, sig, password, ...) and URL user info are replaced by
// "[redacted]" in the query, in a callback's hook URL and in every URL inside bodies, findings and notes; each
// secret given to the Recorder is replaced by "[redacted]" wherever it appears (one shorter than eight bytes
// only as a whole token). Ids, timestamps and URLs otherwise are kept as recorded, so replayed polling finds
// the task it created, and a replayed request matches its recording with its credentials redacted the same
// way. Hop-by-hop headers, Content-Length and Date are not recorded.
//
// # Replay
//
// A Replayer answers a request from the cassette when method, path, query and (for requests with a body) the
// normalized JSON body match a recorded exchange; notify_hook is left out of the comparison, since it names the
// client's own address. Repeated requests with the same key (a task polled with GET) replay the recorded
// answers in order and stay on the last one once they run out. Anything else goes to the fallback handler.
// The X-Lumamock-Source response header says which one answered: replay or mock.
package cassette
