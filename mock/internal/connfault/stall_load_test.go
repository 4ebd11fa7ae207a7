package connfault

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// stallClientEnv, set to "ADDR N", makes TestStallClientHelper the client of TestTenThousandStalls: a process
// of its own, so that the two sides of 10,000 connections do not share one file descriptor limit.
const stallClientEnv = "CONNFAULT_STALL_CLIENT"

// TestTenThousandStalls holds 10,000 stalled connections at once: the server keeps no goroutine per stall, a
// bounded amount of memory per stall, and still answers other requests; when the clients hang up, the server
// lets every connection go.
func TestTenThousandStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 connections")
	}
	n := 10000
	if fds := fileLimit(); fds > 0 && fds < 2*n {
		n = fds/2 - 64
		t.Logf("the file descriptor limit is %d: stalling %d connections", fds, n)
	}
	in := New(Options{StallLimit: time.Hour, MaxStalled: n})
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			w.Write([]byte("ok"))
			return
		}
		if err := in.Apply(w, Stall, Answer{Status: 200, Body: []byte(body)}); err != nil {
			t.Error(err)
		}
	}))
	ts.Start()
	defer ts.Close()
	defer in.Close()

	runtime.GC()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	cmd := exec.Command(os.Args[0], "-test.run=^TestStallClientHelper$", "-test.v")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", stallClientEnv, ts.Listener.Addr(), n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	lines := bufio.NewScanner(stdout)
	ready := false
	for lines.Scan() {
		if lines.Text() == "ready" {
			ready = true
			break
		}
	}
	if !ready {
		t.Fatalf("the client process did not stall its connections: %s", stderr.String())
	}
	waitFor(t, "every connection stalled", func() bool { return in.Stalled() == n })
	took := time.Since(start)

	runtime.GC()
	runtime.ReadMemStats(&during)
	extra := runtime.NumGoroutine() - goroutines
	perConn := (int64(during.HeapAlloc) - int64(before.HeapAlloc)) / int64(n)
	t.Logf("%d stalled connections (stalled in %s): %d more goroutines, heap %d KiB -> %d KiB (%d bytes a connection), Sys %d MiB -> %d MiB",
		n, took.Round(time.Millisecond), extra, before.HeapAlloc>>10, during.HeapAlloc>>10, perConn, before.Sys>>20, during.Sys>>20)
	if extra > 5 {
		t.Errorf("%d more goroutines while %d connections stall, want at most a handful", extra, n)
	}
	if perConn > 4<<10 {
		t.Errorf("%d bytes of heap a stalled connection, want at most 4 KiB", perConn)
	}
	// The server still answers.
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(ts.URL + "/ok")
	if err != nil {
		t.Fatalf("with %d connections stalled, a request failed: %v", n, err)
	}
	resp.Body.Close()

	stdin.Close() // the client process hangs up
	waitFor(t, "the server to let every connection go", func() bool { return in.Stalled() == 0 })
	waitFor(t, "the closer to end", func() bool { return runtime.NumGoroutine() <= goroutines+2 })
}

// TestStallClientHelper is the client process of TestTenThousandStalls; it does nothing in a test run of its
// own. It opens N connections to ADDR, sends a request on each, reads each answer's headers, prints "ready",
// and holds them until its standard input closes.
func TestStallClientHelper(t *testing.T) {
	spec := os.Getenv(stallClientEnv)
	if spec == "" {
		t.Skip("the client process of TestTenThousandStalls")
	}
	var addr string
	var n int
	if _, err := fmt.Sscanf(spec, "%s %d", &addr, &n); err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, n)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				conn, err := stallOne(addr)
				mu.Lock()
				if err != nil && failed == nil {
					failed = fmt.Errorf("connection %d: %w", i, err)
				}
				conns[i] = conn
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// stallOne opens a connection to addr, sends a GET and reads the answer's head.
func stallOne(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		conn.Close()
		return nil, fmt.Errorf("answer %d with Content-Length %q", resp.StatusCode, resp.Header.Get("Content-Length"))
	}
	return conn, nil
}
