// Package lumaclient is a client of the Luma video-generation proxy API generated from lumamock's openapi.yaml
// by oapi-codegen. Its tests run it against the lumamock fake in-process (mock/mocktest).
//
// Regenerate after a change of openapi.yaml with
//
//	go generate ./...
package lumaclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config cfg.yaml ../../openapi.yaml
