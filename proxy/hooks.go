package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/snip"
)

// hookField is the request member naming the client's callback URL.
const hookField = lumamock.FieldNotifyHook

// hookTarget is where the callbacks for one relayed submission go.
type hookTarget struct {
	original  string
	recordSeq int // the cassette seq of the submitting exchange
	secrets   []string
	mu        sync.Mutex
	taskID    string
}

func (t *hookTarget) setTask(id string) {
	t.mu.Lock()
	t.taskID = id
	t.mu.Unlock()
}

func (t *hookTarget) task() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.taskID
}

// hookTable maps relay tokens to targets, forgetting the oldest beyond its size.
type hookTable struct {
	mu      sync.Mutex
	size    int
	targets map[string]*hookTarget
	order   []string
}

func newHookTable(size int) *hookTable {
	return &hookTable{size: size, targets: map[string]*hookTarget{}}
}

func (h *hookTable) add(token string, t *hookTarget) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.targets[token] = t
	h.order = append(h.order, token)
	if len(h.order) > h.size {
		delete(h.targets, h.order[0])
		h.order = h.order[1:]
	}
}

func (h *hookTable) get(token string) *hookTarget {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.targets[token]
}

// relayHook replaces an http(s) notify_hook in a submission body with the proxy's own, remembering the
// original. Bodies without one, or that are not JSON objects, are returned as they are.
func (p *Proxy) relayHook(ex *exchange, body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil || dec.More() {
		return body
	}
	hook, _ := obj[hookField].(string)
	u, err := url.Parse(hook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return body
	}
	token := newID()
	obj[hookField] = p.opts.HookURL + HookPrefix + token
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(obj) != nil {
		return body
	}
	// The hook's own credentials are secrets too: its answers, which are recorded, may echo them.
	ex.hook = &hookTarget{original: hook, recordSeq: ex.recordSeq, secrets: append(slices.Clip(ex.secrets), redact.URLSecrets(hook)...)}
	p.hooks.add(token, ex.hook)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// serveHook receives a callback from the upstream, checks it, records it and forwards it to the client's
// original hook, answering the upstream with the hook's status.
func (p *Proxy) serveHook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{start: start, in: r, requestID: newID()}
	token := strings.TrimPrefix(r.URL.Path, HookPrefix)
	target := p.hooks.get(token)
	if target == nil || r.Method != http.MethodPost {
		p.writeError(w, ex, http.StatusNotFound, "no relayed notify_hook here (unknown or forgotten token, or not a POST)", nil)
		return
	}
	ex.secrets = target.secrets
	// The hook's credentials, and the submitter's key wherever the hook carries it (a parameter of any name).
	rec := Callback{At: start.UTC(), Hook: redact.Text(target.original, ex.secrets...)}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBody+1))
	if err != nil || len(body) > MaxCallbackBody {
		reason := fmt.Sprintf("the callback body is larger than %d bytes", MaxCallbackBody)
		if err != nil {
			reason = "reading the callback body failed: " + err.Error()
		}
		rec.Error = redact.Text(reason, ex.secrets...)
		p.finishCallback(rec, nil, ex.secrets)
		p.writeError(w, ex, http.StatusRequestEntityTooLarge, reason, nil)
		return
	}
	res := p.checker.CheckCallback(r.Header, body)
	findings := wrap(DirCallback, res.Findings)
	rec.Findings, rec.FindingsTotal, rec.FindingsTruncated = journalFindings(findings, ex.secrets)
	rec.Valid = len(findings) == 0
	rec.Body, _ = snip.Cut(string(redact.Body(body, ex.secrets...)), journalBodyLimit)
	if res.Task != nil {
		rec.TaskID = res.Task.ID
	} else {
		rec.TaskID = target.task()
	}
	rec.TaskID = redact.Text(rec.TaskID, ex.secrets...) // what the upstream sent: it can repeat a key
	entry := cassette.Entry{Kind: cassette.KindCallback, Exchange: target.recordSeq, TaskID: rec.TaskID,
		Request:  cassette.Request{Method: r.Method, Path: target.original, Header: r.Header, Body: cassette.NewBody(body)},
		Findings: plainFindings(findings)}
	if p.opts.Strict && len(findings) > 0 {
		rec.Error = "strict: not forwarded, the callback does not match the API document"
		entry.Note = rec.Error
		rec.Cassette = p.recordCallback(entry, ex.secrets)
		p.finishCallback(rec, findings, ex.secrets)
		p.writeError(w, ex, http.StatusBadGateway, "strict: the callback does not match the API document: "+summary(findings, ex.secrets), findings)
		return
	}
	status, respHeader, respBody, ferr := p.forwardCallback(r, target.original, body, violationsHeader(findings, ex.secrets))
	rec.Forwarded, rec.Status = ferr == nil, status
	if ferr != nil {
		rec.Error = redact.Text(ferr.Error(), ex.secrets...)
		entry.Note = "forwarding failed: " + rec.Error
	} else {
		entry.Response = cassette.Response{Status: status, Header: respHeader, Body: cassette.NewBody(respBody)}
	}
	rec.Cassette = p.recordCallback(entry, ex.secrets)
	p.finishCallback(rec, findings, ex.secrets)
	if ferr != nil {
		p.writeError(w, ex, http.StatusBadGateway, "forwarding the callback to the client's notify_hook failed: "+rec.Error, findings)
		return
	}
	if v := violationsHeader(findings, ex.secrets); v != "" {
		w.Header().Set(HeaderViolations, v)
	}
	if ct := respHeader.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
}

// forwardCallback posts body to hook with the callback's end-to-end headers, and reads (a bounded part of)
// the answer.
func (p *Proxy) forwardCallback(in *http.Request, hook string, body []byte, violations string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(in.Context(), http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range in.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Connection":
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	if violations != "" {
		req.Header.Set(HeaderViolations, violations)
	}
	resp, err := p.opts.HookClient.Do(req)
	if err != nil {
		_, cause := classify(err, p.opts.HookClient.Timeout)
		return 0, nil, nil, fmt.Errorf("%s", cause)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header, data, nil
}

func (p *Proxy) recordCallback(e cassette.Entry, secrets []string) string {
	if p.opts.Recorder == nil {
		return ""
	}
	written, err := p.opts.Recorder.Record(e, secrets...)
	if err != nil {
		p.log.Error("recording the callback failed", "error", err.Error())
		return ""
	}
	return written.File()
}

func (p *Proxy) finishCallback(rec Callback, findings []Finding, secrets []string) {
	rec.TaskID, rec.Hook, rec.Error = cut(rec.TaskID), cut(rec.Hook), cut(rec.Error)
	p.callbacks.Add(func(seq int64) Callback { rec.Seq = seq; return rec })
	attrs := []any{"task_id", rec.TaskID, "forwarded", rec.Forwarded, "status", rec.Status, "findings", len(findings)}
	if rec.Error != "" {
		attrs = append(attrs, "error", rec.Error)
	}
	if len(findings) > 0 {
		attrs = append(attrs, "violations", violationsHeader(findings, secrets))
		p.log.Warn("callback broke the document", attrs...)
		return
	}
	p.log.Info("callback", attrs...)
}
