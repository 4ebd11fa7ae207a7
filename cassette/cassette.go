package cassette

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/redact"
)

// Version is the layout version written in every entry.
const Version = 1

// Kinds of entry.
const (
	KindExchange = "exchange"
	KindCallback = "callback"
)

// Redacted replaces every secret in a cassette: redact.Placeholder, the one placeholder of every output.
const Redacted = redact.Placeholder

// Entry is one recorded file: an exchange (a request and the API's answer) or a callback (the API's POST to
// notify_hook and the client hook's answer).
//
// A cassette is a directory of JSON files, one per recorded message, named
//
//	<seq>.<kind>.<slug>.json     e.g. 000001.POST.luma-generations.json
//	                                  000002.GET.luma-generations-4665a07c-....json
//	                                  000003.CALLBACK.4665a07c-....json
//
// where seq (six digits) orders the files as they were recorded, kind is the request method (when it is a
// known HTTP method: GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE; else "other", since a
// method is text the client chose and could be a secret) or CALLBACK, and slug is the path (or the callback's
// task id), secrets redacted, made safe for file names. Each file holds one Entry, indented
// with keys in a fixed order, bodies as JSON values (keys sorted, numbers kept exactly) so that a re-recording
// diffs well:
//
//	{
//	  "version": 1,
//	  "seq": 1,
//	  "kind": "exchange",
//	  "recorded_at": "2025-01-02T03:04:05Z",
//	  "request":  {"method": "POST", "path": "/luma/generations", "header": {...}, "body": {...}},
//	  "response": {"status": 200, "header": {...}, "body": {...}},
//	  "findings": [ ...what the document said about the exchange... ]
//	}
//
// A callback entry ("kind": "callback") holds the POST the API sent to notify_hook as its request, the client
// hook's answer as its response, and in "exchange" the seq of the exchange that submitted the task.
type Entry struct {
	Version    int       `json:"version"`
	Seq        int       `json:"seq"`
	Kind       string    `json:"kind"`
	RecordedAt time.Time `json:"recorded_at"`
	// Exchange is, for a callback, the seq of the exchange that submitted the task (0 when unknown).
	Exchange int `json:"exchange,omitempty"`
	// TaskID is the task the message concerns, when it names one.
	TaskID   string   `json:"task_id,omitempty"`
	Request  Request  `json:"request"`
	Response Response `json:"response"`
	// Findings are the ways the exchange broke openapi.yaml when it was recorded.
	Findings []contract.Finding `json:"findings,omitempty"`
	// Note says what else happened: an upstream failure, a body too large to keep.
	Note string `json:"note,omitempty"`

	file string
}

// File is the name the entry was read from or written to ("" before).
func (e Entry) File() string { return e.file }

// Request is a recorded request.
type Request struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"header,omitempty"`
	Body   Body        `json:"body,omitzero"`
}

// Response is a recorded response; Status 0 means none came.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   Body        `json:"body,omitzero"`
	// BodyNotRecorded is true when the answer had a body the recording could not keep (larger than the
	// recorder's limit): a Replayer does not answer with it, the fallback does.
	BodyNotRecorded bool `json:"body_not_recorded,omitempty"`
}

// Body is a message body. A JSON body is stored as a JSON value; any other as text, or base64 when it is not
// UTF-8 text.
type Body struct {
	data []byte
}

// NewBody returns a Body holding data.
func NewBody(data []byte) Body { return Body{data: bytes.Clone(data)} }

// Bytes returns the body's bytes. A body stored as JSON comes back compact, keys sorted.
func (b Body) Bytes() []byte { return b.data }

// IsZero reports whether the body is empty.
func (b Body) IsZero() bool { return len(b.data) == 0 }

type bodyText struct {
	Text   *string `json:"text,omitempty"`
	Base64 []byte  `json:"base64,omitempty"`
}

// MarshalJSON writes a JSON body as a normalized JSON value, other bodies as {"text": ...} or {"base64": ...}.
func (b Body) MarshalJSON() ([]byte, error) {
	if len(b.data) == 0 {
		return []byte("null"), nil
	}
	if norm, ok := normalizeJSON(b.data); ok {
		if obj, isObj := asObject(norm); !isObj || (obj["text"] == nil && obj["base64"] == nil) {
			return norm, nil
		}
		// A JSON object with only text or base64 members would read back as a wrapper; wrap it.
		s := string(b.data)
		return json.Marshal(bodyText{Text: &s})
	}
	if isText(b.data) {
		s := string(b.data)
		return json.Marshal(bodyText{Text: &s})
	}
	return json.Marshal(bodyText{Base64: b.data})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Body) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		b.data = nil
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) == nil && len(obj) == 1 && (obj["text"] != nil || obj["base64"] != nil) {
		var t bodyText
		if err := json.Unmarshal(data, &t); err != nil {
			return err
		}
		if t.Text != nil {
			b.data = []byte(*t.Text)
		} else {
			b.data = t.Base64
		}
		return nil
	}
	norm, ok := normalizeJSON(data)
	if !ok {
		return errors.New("cassette: body is not JSON")
	}
	b.data = norm
	return nil
}

func asObject(data []byte) (map[string]json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || len(obj) != 1 {
		return nil, false
	}
	return obj, true
}

// normalizeJSON re-encodes one JSON value compactly with object keys sorted and numbers kept as written.
func normalizeJSON(data []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), true
}

func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// hopHeaders are not recorded: they describe one connection, or are recomputed when the body is sent again.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Date": true,
}

// SanitizeHeader returns a copy of h without credential and hop-by-hop headers, with every secret replaced by
// Redacted in the values kept.
func SanitizeHeader(h http.Header, secrets ...string) http.Header {
	out := http.Header{}
	for k, vs := range h {
		if redact.IsCredentialHeader(k) || hopHeaders[textproto.CanonicalMIMEHeaderKey(k)] {
			continue
		}
		kept := make([]string, len(vs))
		for i, v := range vs {
			kept[i] = redact.Text(v, secrets...)
		}
		out[k] = kept
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Sanitize returns a copy of e with credential headers removed and credentials replaced by Redacted: the
// values of credential-named query parameters and URL user info (in the path of a callback entry, which is the
// hook's URL, in the query, and in URLs inside bodies, findings and note), and every secret wherever it
// appears, the task id and the ids and pointers of findings included. Timestamps stay as they are.
func (e Entry) Sanitize(secrets ...string) Entry {
	out := e
	out.Request = Request{
		Method: redact.Text(e.Request.Method, secrets...),
		Path:   redact.Text(redact.URL(e.Request.Path), secrets...),
		Query:  redact.Query(e.Request.Query, secrets...),
		Header: SanitizeHeader(e.Request.Header, secrets...),
		Body:   Body{data: bytes.Clone(redact.Body(e.Request.Body.data, secrets...))},
	}
	out.Response = Response{
		Status: e.Response.Status,
		Header: SanitizeHeader(e.Response.Header, secrets...),
		Body:   Body{data: bytes.Clone(redact.Body(e.Response.Body.data, secrets...))},

		BodyNotRecorded: e.Response.BodyNotRecorded,
	}
	// The task id, and the ids and pointers of findings, come from what the upstream sent: anything, a key
	// included. The file name is made of the entry as sanitized.
	out.TaskID = redact.Text(e.TaskID, secrets...)
	out.Findings = nil
	for _, f := range e.Findings {
		f.ID, f.Pointer = redact.Text(f.ID, secrets...), redact.Text(f.Pointer, secrets...)
		f.Expected = redact.Text(f.Expected, secrets...)
		f.Actual = redact.Text(f.Actual, secrets...)
		f.Message = redact.Text(f.Message, secrets...)
		if f.Violation != nil {
			v := *f.Violation
			v.Field, v.Message = redact.Text(v.Field, secrets...), redact.Text(v.Message, secrets...)
			f.Violation = &v
		}
		out.Findings = append(out.Findings, f)
	}
	out.Note = redact.Text(e.Note, secrets...)
	return out
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileMethods are the methods a file name may carry: the HTTP methods of RFC 9110 and PATCH, spelled as
// registered (methods are case-sensitive).
var fileMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true,
}

// OtherMethod stands in a file name for a method that is not a known HTTP method: the method is request text
// a client chose, and could be anything, a secret included.
const OtherMethod = "other"

// fileName is the file an entry is written to.
func fileName(e Entry) string {
	kind := OtherMethod
	if fileMethods[e.Request.Method] {
		kind = e.Request.Method
	}
	slug := strings.Trim(e.Request.Path, "/")
	if e.Kind == KindCallback {
		kind, slug = "CALLBACK", e.TaskID
		if slug == "" {
			slug = "unknown-task"
		}
	}
	slug = strings.Trim(unsafeName.ReplaceAllString(strings.ReplaceAll(slug, "/", "-"), "_"), "._-")
	if len(slug) > 80 {
		slug = slug[:80]
	}
	if slug == "" {
		slug = "root"
	}
	return fmt.Sprintf("%06d.%s.%s.json", e.Seq, kind, slug)
}

// Recorder writes entries to a cassette directory. It is safe for concurrent use.
//
// What it leaves out: a method that is one of the secrets is recorded as "[redacted]". Authorization, Proxy-Authorization, Cookie, Set-Cookie and any
// header whose name looks like a credential (api-key, token, secret) are left out. The values of credential-named query parameters (api_key,
// key, token, access_token, secret, signature, sig, password, ...) and URL user info are replaced by
// "[redacted]" in the query, in a callback's hook URL and in every URL inside bodies, findings and notes; each
// secret given to the Recorder is replaced by "[redacted]" wherever it appears (one shorter than eight bytes
// only as a whole token). Ids, timestamps and URLs otherwise are kept as recorded, so replayed polling finds
// the task it created, and a replayed request matches its recording with its credentials redacted the same
// way. Hop-by-hop headers, Content-Length and Date are not recorded.
type Recorder struct {
	// Now stamps entries; nil means time.Now. Set it before the first Record.
	Now func() time.Time

	dir     string
	secrets []string
	mu      sync.Mutex
	seq     int
}

// NewRecorder returns a Recorder writing to dir, creating it if needed. Entries already there are kept and new
// ones numbered after them. Each secret is replaced by Redacted wherever it would be written.
func NewRecorder(dir string, secrets ...string) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	r := &Recorder{dir: dir, secrets: secrets}
	names, err := entryFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if seq, err := strconv.Atoi(n[:strings.IndexByte(n, '.')]); err == nil && seq > r.seq {
			r.seq = seq
		}
	}
	return r, nil
}

// Dir is the directory the Recorder writes to.
func (r *Recorder) Dir() string { return r.dir }

// Next reserves the next sequence number, so that a callback can name its exchange before the exchange is
// written.
func (r *Recorder) Next() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return r.seq
}

// Record sanitizes e with the Recorder's secrets and extra, the secrets of this exchange (the bearer token it
// carried), and writes it. A zero e.Seq takes the next number. It returns the entry as written.
func (r *Recorder) Record(e Entry, extra ...string) (Entry, error) {
	if e.Seq == 0 {
		e.Seq = r.Next()
	}
	if e.Kind == "" {
		e.Kind = KindExchange
	}
	e.Version = Version
	if e.RecordedAt.IsZero() {
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		e.RecordedAt = now().UTC()
	}
	e = e.Sanitize(append(append([]string(nil), r.secrets...), extra...)...)
	data, err := Marshal(e)
	if err != nil {
		return Entry{}, err
	}
	e.file = fileName(e)
	tmp, err := os.CreateTemp(r.dir, ".tmp-*")
	if err != nil {
		return Entry{}, fmt.Errorf("cassette: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(r.dir, e.file))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return Entry{}, fmt.Errorf("cassette: write %s: %w", e.file, werr)
	}
	return e, nil
}

// Marshal renders e as its file does: indented JSON ending in a newline.
func Marshal(e Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("cassette: encode entry %d: %w", e.Seq, err)
	}
	return buf.Bytes(), nil
}

// entryFiles lists the entry files of dir in order.
func entryFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	var names []string
	for _, de := range des {
		n := de.Name()
		if de.Type().IsRegular() && strings.HasSuffix(n, ".json") && entryName.MatchString(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

var entryName = regexp.MustCompile(`^\d+\.[^.]+\..*\.json$`)

// Load reads every entry of the cassette in dir, in recorded order.
func Load(dir string) ([]Entry, error) {
	names, err := entryFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("cassette: %w", err)
		}
		var e Entry
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("cassette: %s: %w", n, err)
		}
		if e.Version != Version {
			return nil, fmt.Errorf("cassette: %s: layout version %d, want %d", n, e.Version, Version)
		}
		e.file = n
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}
