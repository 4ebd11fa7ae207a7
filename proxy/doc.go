// Package proxy is a validating reverse proxy for the Luma video-generation proxy API: it forwards traffic to
// a live API unchanged, holds every request, response and callback to openapi.yaml with the contract package's
// checks, reports what breaks the document (the X-Lumamock-Violations header, the log, the journal at
// /__mock/requests), and can record the exchanges as a cassette for offline replay.
package proxy
