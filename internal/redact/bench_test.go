package redact

import (
	"net/http"
	"testing"
)

// The redaction of one request, as the journals and logs make it: benchmarked so that a change to what is
// scrubbed is weighed against its cost.
//
//	go test ./internal/redact -run '^$' -bench . -benchmem -count 10
var (
	benchKey    = "sk-live-0123456789abcdef"
	benchShort  = "k3y"
	benchBody   = []byte(`{"user_prompt":"A gust of wind blows through the woods, making the woman's veil flutter.","model_name":"ray-v2","duration":"5s","resolution":"720p","notify_hook":"https://hooks.example/luma?token=tt&x=1"}`)
	benchText   = `request body does not match the document: /resolution: value is not one of the allowed values ["720p","1080p"]`
	benchHeader = http.Header{
		"Authorization": {"Bearer " + benchKey},
		"Content-Type":  {"application/json"},
		"Accept":        {"application/json"},
		"User-Agent":    {"Go-http-client/1.1"},
		"Prefer":        {"schema=luma, delay=10ms"},
	}
)

func BenchmarkText(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Text(benchText, benchKey, benchShort)
	}
}

func BenchmarkTextShortKeyFound(b *testing.B) {
	b.ReportAllocs()
	s := "the key k3y was refused: expected one of the keys configured"
	for b.Loop() {
		_ = Text(s, benchKey, benchShort)
	}
}

func BenchmarkBody(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Body(benchBody, benchKey, benchShort)
	}
}

func BenchmarkHeader(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Header(benchHeader, benchKey, benchShort)
	}
}

func BenchmarkRequestSecrets(b *testing.B) {
	b.ReportAllocs()
	r := &http.Request{Header: benchHeader}
	for b.Loop() {
		_ = RequestSecrets(r)
	}
}
