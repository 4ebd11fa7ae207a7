package mock_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// bigPrompt is the prompt of a task as large as a request may carry by default: 20 MiB.
const bigPrompt = 20 << 20

// slowReaderBudget is how much the heap may grow while 40 clients hold answers of a 20 MiB task unread: less
// than one copy of the prompt, so that no answer may be encoded whole for its reader.
const slowReaderBudget = 16 << 20

// newBigTask starts a mock answering in the luma shape (which shows the prompt) and submits a task with a 20 MiB
// prompt; it returns the server and the task's id.
func newBigTask(t *testing.T) (*mocktest.Server, string) {
	t.Helper()
	if raceDetector {
		t.Skip("a task of 20 MiB, run without -race: the race detector makes its JSON work take a minute and adds nothing to what is measured")
	}
	srv := mocktest.NewServer(t, mock.Options{Schema: lumamock.ShapeLuma, MaxBody: 2 * bigPrompt})
	prompt := strings.Repeat("wind \"in\" the trees\n", bigPrompt/20)
	body, _ := json.Marshal(map[string]any{lumamock.FieldUserPrompt: prompt})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: status %d", resp.StatusCode)
	}
	tasks := srv.Mock.Tasks()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want 1", len(tasks))
	}
	return srv, tasks[0].ID
}

// openUnread sends a GET of path on a connection of its own, reads the answer's status line and headers, and
// no more: it returns the connection, and the answer's status and length.
func openUnread(t *testing.T, srv *mocktest.Server, path string) (net.Conn, int, int64) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\nAccept: application/json\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return c, resp.StatusCode, resp.ContentLength
}

// TestSlowReadersHoldNoCopyOfALargeTask has 40 clients ask for a task with a 20 MiB prompt, the API's poll and
// the admin API's task, and read nothing past the headers: the heap stays within slowReaderBudget (less than
// one copy of the prompt), because every answer is written from the task's own prompt, not encoded whole for
// its reader.
func TestSlowReadersHoldNoCopyOfALargeTask(t *testing.T) {
	for _, path := range []string{lumamock.PathGenerations + "/", "/__mock/tasks/"} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			srv, id := newBigTask(t)
			// One whole read first: whatever is made once per task is made.
			resp, err := srv.Client.Do(func() *http.Request {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path+id, nil)
				req.Header.Set("Authorization", "Bearer k")
				return req
			}())
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n < bigPrompt {
				t.Fatalf("GET %s: status %d, %d bytes; want 200 and the whole prompt", path, resp.StatusCode, n)
			}
			base := heapInUse()
			for i := range 40 {
				_, status, length := openUnread(t, srv, path+id)
				if status != http.StatusOK || length < bigPrompt {
					t.Fatalf("reader %d: status %d, length %d", i, status, length)
				}
				if grown := int64(heapInUse()) - int64(base); grown > slowReaderBudget {
					t.Fatalf("with %d readers that do not read, the heap grew by %d MiB, over the %d MiB budget",
						i+1, grown>>20, slowReaderBudget>>20)
				}
			}
			grown := int64(heapInUse()) - int64(base)
			t.Logf("40 unread answers of %d MiB: heap %+d KiB (%d KiB a reader)", n>>20, grown>>10, grown/40>>10)
		})
	}
}

// TestLargePromptAnswersAreWhole checks what is written from a large prompt's own string: the API's answers
// carry the prompt as submitted, the admin API's task and task list carry it redacted, each a whole JSON value
// whose Content-Length, when it has one, is its length.
func TestLargePromptAnswersAreWhole(t *testing.T) {
	const key = "sk-live-LARGEPROMPT-1"
	srv := mocktest.NewServer(t, mock.Options{Schema: lumamock.ShapeLuma, APIKeys: []string{key}})
	prompt := strings.Repeat("风吹过树林 \"wind\" <&>\n", 4000) + " key " + key + " " + strings.Repeat("\u2028x", 100)
	body, _ := json.Marshal(map[string]any{lumamock.FieldUserPrompt: prompt})
	get := func(method, path string, body []byte) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
		}
		if resp.ContentLength >= 0 && resp.ContentLength != int64(len(data)) {
			t.Errorf("%s %s: Content-Length %d, body %d bytes", method, path, resp.ContentLength, len(data))
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s %s: not JSON: %v", method, path, err)
		}
		if list, ok := v.([]any); ok {
			v = list[0]
		}
		return v.(map[string]any)
	}
	created := get(http.MethodPost, lumamock.PathGenerations, body)
	id, _ := created["id"].(string)
	redacted := strings.ReplaceAll(prompt, key, "[redacted]")
	for what, got := range map[string]map[string]any{
		"POST " + lumamock.PathGenerations:        created,
		"GET " + lumamock.PathGenerations + "/id": get(http.MethodGet, lumamock.PathGenerations+"/"+id, nil),
		"GET /__mock/tasks/id":                    get(http.MethodGet, "/__mock/tasks/"+id, nil),
		"GET /__mock/tasks":                       get(http.MethodGet, "/__mock/tasks", nil),
		"POST /__mock/tasks/id/complete":          get(http.MethodPost, "/__mock/tasks/"+id+"/complete", nil),
	} {
		want := prompt
		if strings.Contains(what, "__mock") {
			want = redacted
		}
		if got["prompt"] != want {
			t.Errorf("%s: the prompt differs from %s", what, map[bool]string{true: "the redacted one", false: "the one submitted"}[want == redacted])
		}
	}
	if got := srv.Task(id).Prompt; got != redacted {
		t.Error("Server.Task: the prompt is not the redacted one")
	}
}

// TestAnswerToAClientThatDoesNotReadIsCut has a client ask for a task with a 20 MiB prompt and read nothing: once
// the answer has waited the stall for its client, it is cut (the request is journaled, the connection ends short
// of the answer's length) instead of holding the handler for ever.
func TestAnswerToAClientThatDoesNotReadIsCut(t *testing.T) {
	mock.SetListReadStall(t, 200*time.Millisecond)
	srv, id := newBigTask(t)
	c, status, length := openUnread(t, srv, lumamock.PathGenerations+"/"+id)
	if status != http.StatusOK || length < bigPrompt {
		t.Fatalf("status %d, length %d", status, length)
	}
	// The poll is journaled when its handler returns: once its answer has been cut.
	for deadline := time.Now().Add(30 * time.Second); len(srv.Mock.Requests()) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the answer to a client that reads nothing is still being written")
		}
	}
	n, _ := io.Copy(io.Discard, c)
	if n >= length {
		t.Errorf("the client got %d bytes of %d: the answer was not cut", n, length)
	}
}

// TestPreferDelayIsNotCut asks, with answers cut after 100 ms without progress, for a task delayed by 500 ms
// (Prefer: delay): the delay comes before the answer, and the whole answer arrives.
func TestPreferDelayIsNotCut(t *testing.T) {
	mock.SetListReadStall(t, 100*time.Millisecond)
	srv, id := newBigTask(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+lumamock.PathGenerations+"/"+id, nil)
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Prefer", "delay=500ms")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || n != resp.ContentLength {
		t.Errorf("status %d, %d of %d bytes, %v: want the whole answer", resp.StatusCode, n, resp.ContentLength, err)
	}
	if got := resp.Header.Get("Preference-Applied"); !strings.Contains(got, "delay=500ms") {
		t.Errorf("Preference-Applied %q, want the delay honoured", got)
	}
}

// TestSlowSubmitterHoldsOnlyItsTask has 4 clients submit a task with a 20 MiB prompt each in the luma shape
// (whose answer shows the prompt) and read nothing past the headers: the heap holds the 4 prompts the tasks keep,
// and nothing more of what the clients sent, because the request's body is let go before its answer is written.
func TestSlowSubmitterHoldsOnlyItsTask(t *testing.T) {
	if raceDetector {
		t.Skip("tasks of 20 MiB, run without -race: the race detector makes their JSON work take a minute and adds nothing to what is measured")
	}
	const n = 4
	srv := mocktest.NewServer(t, mock.Options{Schema: lumamock.ShapeLuma, MaxBody: 2 * bigPrompt, MaxTaskMemory: 1 << 30})
	var bodies [n][]byte
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]any{lumamock.FieldUserPrompt: strings.Repeat(fmt.Sprintf("wind %d \"in\" the trees\n", i), bigPrompt/22)})
	}
	base := heapInUse()
	for i := range n {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", lumamock.PathGenerations, len(bodies[i]))
		if _, err := c.Write(bodies[i]); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("submit %d: %v %v", i, resp, err)
		}
	}
	prompts := int64(n * bigPrompt)
	grown := int64(heapInUse()) - int64(base)
	t.Logf("%d unread answers to submissions of %d MiB: heap %+d MiB, of which the tasks' prompts are %d MiB", n, bigPrompt>>20, grown>>20, prompts>>20)
	if grown > prompts+slowReaderBudget {
		t.Errorf("the heap grew by %d MiB, more than the %d MiB of prompts the tasks keep and a %d MiB budget", grown>>20, prompts>>20, slowReaderBudget>>20)
	}
}
