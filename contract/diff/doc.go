// Package diff reports the changes between two versions of the contract, as lumamock diff does: Read or Load
// each side (an OpenAPI 3 document, or an Apifox page export read as an OpenAPI fragment), Compare them, and
// Write the Report. Each Finding is classified for clients of the API (Breaking, Warning, Info) by one of the
// Rules, with a JSON pointer and a one-line reason.
//
// Beyond requests and responses, Compare judges a callback's body as a response the client receives and its
// expected answer as a request the client sends, compares the task lifecycle (x-transitions, x-terminal),
// the settled conflicts (x-settled) and what the mock's Prefer header can force. An Apifox page is compared
// only as far as it says anything; what the OpenAPI side settled on purpose is reported once as known-settled.
package diff
