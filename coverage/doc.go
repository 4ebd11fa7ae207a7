// Package coverage tells a test suite what its client was exposed to and how it behaved towards the
// asynchronous API, as seen by the mock that served it.
//
// The items are derived from the OpenAPI document (Derive): every documented answer status per operation, both
// task shapes on the operations and in callbacks, every task state seen through a poll, every callback event
// acknowledged, every outcome, every webhook fault, and a callback retried after the hook refused it. A
// Recorder counts them from the events the mock reports as it journals each request and callback (Request,
// Callback), and judges each client, known by its API key (shown only as redact.Label of it): poll-too-fast,
// retry-after-ignored, poll-after-end, hook-not-acknowledged and resubmitted (see Thresholds).
//
// Memory is bounded: the items are fixed by the document, counters are atomic, findings are kept per client in
// lists of bounded length with totals, and at most Options.MaxClients clients are remembered (the least
// recently seen is forgotten, and counted). A Report is rendered as text, JSON, JUnit XML or Markdown.
package coverage
