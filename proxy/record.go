package proxy

import (
	"fmt"
	"net/http"

	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/contract"
)

// record writes a forwarded exchange to the cassette. plain is the response body as checked (decoded when the
// upstream compressed it); decoded says so.
func (p *Proxy) record(ex *exchange, resp *http.Response, plain []byte, decoded, truncated bool) {
	if p.opts.Recorder == nil || ex.recordSeq == 0 {
		return
	}
	e := p.requestEntry(ex)
	header := resp.Header.Clone()
	if decoded {
		header.Del("Content-Encoding")
	}
	e.Response = cassette.Response{Status: resp.StatusCode, Header: header}
	if truncated {
		e.Note = appendNote(e.Note, fmt.Sprintf("response body larger than %d bytes: not recorded", p.opts.MaxBody))
		e.Response.BodyNotRecorded = true
	} else {
		e.Response.Body = cassette.NewBody(plain)
	}
	p.write(ex, e)
}

// recordFailure writes an exchange the upstream did not answer, with the cause as its note.
func (p *Proxy) recordFailure(ex *exchange, cause string) {
	if ex.recordSeq == 0 {
		return
	}
	e := p.requestEntry(ex)
	e.Note = appendNote(e.Note, "no answer: "+cause)
	p.write(ex, e)
}

func (p *Proxy) requestEntry(ex *exchange) cassette.Entry {
	e := cassette.Entry{
		Seq: ex.recordSeq, Kind: cassette.KindExchange, TaskID: ex.taskID,
		Request: cassette.Request{Method: ex.in.Method, Path: ex.in.URL.Path, Query: ex.in.URL.RawQuery,
			Header: ex.in.Header, Body: cassette.NewBody(ex.body)},
		Findings: plainFindings(ex.findings),
	}
	if ex.body == nil && ex.in.ContentLength != 0 && ex.in.Body != nil && ex.in.Body != http.NoBody {
		e.Note = fmt.Sprintf("request body larger than %d bytes: not recorded", p.opts.MaxBody)
	}
	return e
}

func (p *Proxy) write(ex *exchange, e cassette.Entry) {
	written, err := p.opts.Recorder.Record(e, ex.secrets...)
	if err != nil {
		p.log.Error("recording the exchange failed", "error", err.Error())
		return
	}
	ex.recordFile = written.File()
}

func plainFindings(fs []Finding) []contract.Finding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]contract.Finding, len(fs))
	for i, f := range fs {
		out[i] = f.Finding
	}
	return out
}

func appendNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}
