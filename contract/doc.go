// Package contract holds API traffic to openapi.yaml: Checker judges one response, callback or request against
// the document and reports each way it breaks it as a classified Finding.
//
// The checks do not depend on how traffic is produced: package contract/check runs them against a live API
// (lumamock check), and the validating proxy applies them to the traffic it forwards.
package contract
