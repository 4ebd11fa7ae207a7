package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// TestEveryOperationAndStatus sweeps the whole document: for every operation and every status it documents,
// in both shapes, the mock's answer (a status forced with Prefer: code=) passes openapi3filter.ValidateResponse.
func TestEveryOperationAndStatus(t *testing.T) {
	doc := lumamock.MustLoad()
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		ts := newServer(t, mock.Options{Schema: shape, Seed: 1})
		created := send(t, ts, call{body: sourceExample})
		if created.status != 200 {
			t.Fatalf("create: status %d\n%s", created.status, created.body)
		}
		taskID := taskIDOf(t, created.body)
		paths := doc.Paths.InMatchingOrder()
		sort.Strings(paths)
		swept := 0
		for _, path := range paths {
			for method, op := range doc.Paths.Value(path).Operations() {
				c := call{method: method, path: strings.ReplaceAll(path, "{task_id}", taskID)}
				if op.RequestBody != nil {
					example := op.RequestBody.Value.Content.Get("application/json").Examples["source"]
					if example == nil {
						t.Fatalf("%s has no source example", op.OperationID)
					}
					raw, _ := json.Marshal(example.Value.Value)
					c.body = string(raw)
				}
				for code := range op.Responses.Map() {
					status, err := strconv.Atoi(code)
					if err != nil {
						t.Fatalf("%s documents a status range %s; the sweep needs exact statuses", op.OperationID, code)
					}
					t.Run(fmt.Sprintf("%s/%s/%d", shape, op.OperationID, status), func(t *testing.T) {
						c := c
						if status != http.StatusOK {
							c.header = map[string]string{"Prefer": "code=" + code}
						}
						resp := send(t, ts, c)
						if resp.status != status {
							t.Fatalf("status = %d, want %d\n%s", resp.status, status, resp.body)
						}
						validateResponse(t, resp)
						if status != http.StatusOK {
							checkErrorShape(t, resp, shape)
						}
					})
					swept++
				}
			}
		}
		if swept < 15 {
			t.Errorf("swept %d operation statuses, want every documented one (at least 15)", swept)
		}
	}
}

// taskIDOf reads the task id from a task in either shape.
func taskIDOf(tb testing.TB, body []byte) string {
	tb.Helper()
	v := decode(tb, body)
	if id, ok := v["id"].(string); ok {
		return id
	}
	if data, ok := v["data"].(map[string]any); ok {
		if id, ok := data["task_id"].(string); ok {
			return id
		}
	}
	tb.Fatalf("no task id in %s", body)
	return ""
}
