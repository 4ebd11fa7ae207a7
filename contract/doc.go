// Package contract holds a live Luma proxy API to openapi.yaml: it derives cases from the document, sends them,
// checks every response, follows billable tasks to a terminal state, and reports drift as classified findings.
//
// The checks themselves (Checker.CheckResponse, Checker.CheckRequest, Checker.CheckCallback) do not depend on
// the runner, so a validating proxy can apply the same contract to traffic it forwards.
package contract
