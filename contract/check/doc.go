// Package check runs the contract against a live Luma proxy API, as lumamock check does: it derives cases from
// the document, sends them, holds every answer to the document with contract.Checker, follows billable tasks
// through their lifecycle (polls and callbacks), compares golden fixtures and a baseline, and writes the report.
package check
