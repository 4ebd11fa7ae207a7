// Package mock is a validating fake of the Luma video-generation proxy API, driven by openapi.yaml: every
// request is routed and validated by kin-openapi against the document, and valid submissions become tasks
// that answer in either response shape the document allows.
package mock
