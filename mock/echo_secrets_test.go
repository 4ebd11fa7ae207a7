package mock_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact/leaktest"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// echoingReceiver is a loopback callback receiver that answers every callback 500 with text in its status line
// and its body: a receiver that repeats what it was told, or what it knows.
func echoingReceiver(t *testing.T, text string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				body := "refused: " + text
				fmt.Fprintf(c, "HTTP/1.1 500 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", text, len(body), body)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/cb"
}

// TestReceiverEchoingAKeyIsNotShown has a receiver answer 500 with a key in its status line and its body: the
// key given with --api-key, and with no key configured the submitter's own token. Neither shows in the
// callback journal (error, response) nor in the log, for a key of each length.
func TestReceiverEchoingAKeyIsNotShown(t *testing.T) {
	for name, key := range leaktest.Keys {
		for _, configured := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/configured=%v", name, configured), func(t *testing.T) {
				var logs bytes.Buffer
				var logMu sync.Mutex
				opts := mock.Options{Logger: slog.New(slog.NewJSONHandler(lockedWriter{mu: &logMu, buf: &logs}, nil)),
					CallbackRetries: mock.NoRetries}
				if configured {
					opts.APIKeys = []string{key}
				}
				srv := mocktest.NewServer(t, opts)
				hook := echoingReceiver(t, "key "+key+" is not welcome here")
				body, _ := json.Marshal(map[string]any{lumamock.FieldUserPrompt: "wind", lumamock.FieldNotifyHook: hook})
				req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(string(body)))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := srv.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("submit: status %d", resp.StatusCode)
				}
				srv.Advance(mock.DefaultPending + mock.DefaultProcessing)
				resp, err = srv.Client.Get(srv.URL + "/__mock/callbacks")
				if err != nil {
					t.Fatal(err)
				}
				journal, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				logMu.Lock()
				log := logs.String()
				logMu.Unlock()
				for what, out := range map[string]string{"GET /__mock/callbacks": string(journal), "log": log} {
					leaktest.Check(t, what, out, key)
				}
				for what, out := range map[string]string{"GET /__mock/callbacks": string(journal), "log": log} {
					if !strings.Contains(out, "key [redacted] is not welcome here") {
						t.Errorf("%s does not show the receiver's answer, redacted:\n%s", what, out)
					}
				}
			})
		}
	}
}
