package lumaclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"

	lumaclient "github.com/lumamock/lumamock/examples/go-client"
)

// newClient returns a generated client for srv that sends key as its bearer token and, when prefer is not
// empty, a Prefer header with every request.
func newClient(t *testing.T, srv *mocktest.Server, key, prefer string) *lumaclient.ClientWithResponses {
	t.Helper()
	c, err := lumaclient.NewClientWithResponses(srv.URL,
		lumaclient.WithHTTPClient(srv.Client),
		lumaclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			if prefer != "" {
				req.Header.Set("Prefer", prefer)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sourceExample is the API source's example request.
func sourceExample() lumaclient.GenerationRequest {
	model, duration, resolution := lumaclient.RayV2, lumaclient.N5s, lumaclient.N720p
	return lumaclient.GenerationRequest{
		UserPrompt: "一阵风吹过树林,使女人的面纱微微飘动。",
		ModelName:  &model,
		Duration:   &duration,
		Resolution: &resolution,
	}
}

// submit posts body and returns the task the mock answered with, failing on anything but a 200.
func submit(t *testing.T, c *lumaclient.ClientWithResponses, body lumaclient.GenerationRequest) (lumaclient.Task, *lumaclient.CreateGenerationResponse) {
	t.Helper()
	resp, err := c.CreateGenerationWithResponse(context.Background(), body)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("submit: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	task, err := lumaclient.DecodeTask(*resp.JSON200)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return task, resp
}

// poll gets task id, failing on anything but a 200.
func poll(t *testing.T, c *lumaclient.ClientWithResponses, id string) lumaclient.Task {
	t.Helper()
	resp, err := c.GetGenerationWithResponse(context.Background(), id)
	if err != nil {
		t.Fatalf("poll %s: %v", id, err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("poll %s: status %d, body %s", id, resp.StatusCode(), resp.Body)
	}
	task, err := lumaclient.DecodeTask(*resp.JSON200)
	if err != nil {
		t.Fatalf("poll %s: %v", id, err)
	}
	return task
}

func TestEnvelopeSubmitPollComplete(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	hook := mocktest.NewHookReceiver(t)
	c := newClient(t, srv, "test-key", "")

	body := sourceExample()
	body.NotifyHook = &hook.URL
	task, resp := submit(t, c, body)
	if task.Envelope == nil || task.Generation != nil {
		t.Fatalf("submit: want the envelope (the mock's default shape), got %+v", task)
	}
	env := task.Envelope
	if env.Code != 200 || env.Message != "success" || task.State != lumaclient.Pending || task.ID == "" {
		t.Fatalf("submit: %+v", env)
	}
	if resp.Headers200 == nil || resp.Headers200.XRequestId == nil || *resp.Headers200.XRequestId != env.RequestId {
		t.Errorf("X-Request-Id header %v, body request_id %q", resp.Headers200, env.RequestId)
	}
	if want := mocktest.Start.Unix(); env.Data.CreatedAt != want {
		t.Errorf("created_at %d, want %d (the virtual clock)", env.Data.CreatedAt, want)
	}

	srv.Advance(mock.DefaultPending)
	if got := poll(t, c, task.ID); got.State != lumaclient.Processing || got.Envelope == nil {
		t.Fatalf("after %s: %+v", mock.DefaultPending, got)
	}
	srv.Advance(mock.DefaultProcessing)
	done := poll(t, c, task.ID)
	if done.State != lumaclient.Completed || done.Envelope == nil {
		t.Fatalf("after %s more: %+v", mock.DefaultProcessing, done)
	}
	d := done.Envelope.Data
	if d.Video == nil || d.VideoRaw == nil || d.Thumbnail == nil || d.LastFrame == nil {
		t.Fatalf("completed task without its result: %+v", d)
	}
	if d.Video.Width != 1280 || d.Video.Height != 720 || d.Video.Url == "" {
		t.Errorf("video %+v, want 1280x720 (resolution 720p)", *d.Video)
	}
	if d.UpdatedAt != mocktest.Start.Add(mock.DefaultPending+mock.DefaultProcessing).Unix() {
		t.Errorf("updated_at %d", d.UpdatedAt)
	}

	// The callbacks carry the same TaskResponse; the generated type decodes them too.
	var states []lumaclient.TaskState
	for _, delivery := range hook.Deliveries() {
		var r lumaclient.TaskResponse
		if err := json.Unmarshal(delivery.Body, &r); err != nil {
			t.Fatal(err)
		}
		cb, err := lumaclient.DecodeTask(r)
		if err != nil || cb.ID != task.ID || cb.Envelope == nil {
			t.Fatalf("callback %s: %+v, %v", delivery.Body, cb, err)
		}
		states = append(states, cb.State)
	}
	if len(states) != 2 || states[0] != lumaclient.Processing || states[1] != lumaclient.Completed {
		t.Errorf("callback states %v, want [processing completed]", states)
	}
}

func TestLumaShapeSubmitPollComplete(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := newClient(t, srv, "test-key", "schema=luma")

	task, _ := submit(t, c, lumaclient.GenerationRequest{UserPrompt: "A gust of wind blows through the woods"})
	gen := task.Generation
	if gen == nil || task.Envelope != nil {
		t.Fatalf("submit with Prefer: schema=luma: want the generation object, got %+v", task)
	}
	if gen.State != lumaclient.Pending || gen.Prompt != "A gust of wind blows through the woods" || gen.Video != nil {
		t.Fatalf("submit: %+v", gen)
	}
	if !gen.CreatedAt.Truncate(time.Second).Equal(mocktest.Start) {
		t.Errorf("created_at %s, want %s", gen.CreatedAt, mocktest.Start)
	}
	if _, err := srv.Mock.Task(gen.Id); err != nil {
		t.Fatalf("id %s is not the mock's task id: %v", gen.Id, err)
	}

	srv.WaitForState(task.ID, lumamock.StateCompleted)
	done := poll(t, c, task.ID)
	if done.Generation == nil || done.State != lumaclient.Completed {
		t.Fatalf("completed: %+v", done)
	}
	g := done.Generation
	if g.Id != gen.Id || g.Video == nil || g.Video.DownloadUrl == nil || g.Thumbnail == nil || g.LastFrame == nil {
		t.Fatalf("completed generation: %+v", g)
	}
}

func TestFailedTask(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	for _, prefer := range []string{"outcome=failed", "outcome=failed, schema=luma"} {
		t.Run(prefer, func(t *testing.T) {
			c := newClient(t, srv, "test-key", prefer)
			task, _ := submit(t, c, sourceExample())
			srv.WaitForState(task.ID, lumamock.StateFailed)
			got := poll(t, c, task.ID)
			var reason *string
			switch {
			case got.Envelope != nil:
				reason = got.Envelope.Data.FailureReason
			case got.Generation != nil:
				reason = got.Generation.FailureReason
			}
			if got.State != lumaclient.Failed || reason == nil || *reason == "" {
				t.Fatalf("failed task: %+v (failure_reason %v)", got, reason)
			}
		})
	}
}

// The generated As… methods cannot tell the shapes apart: each accepts the other shape and returns zero values.
// DecodeTask looks for the envelope's "data" member instead.
func TestShapesNeedADiscriminator(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	envelope, _ := submit(t, newClient(t, srv, "k", ""), sourceExample())
	luma, _ := submit(t, newClient(t, srv, "k", "schema=luma"), sourceExample())

	var envResp, lumaResp lumaclient.TaskResponse
	if err := envResp.FromTaskEnvelope(*envelope.Envelope); err != nil {
		t.Fatal(err)
	}
	if err := lumaResp.FromGeneration(*luma.Generation); err != nil {
		t.Fatal(err)
	}

	wrong, err := envResp.AsGeneration()
	if err != nil {
		t.Fatalf("AsGeneration of an envelope now fails (%v): the generated client tells the shapes apart by itself", err)
	}
	if wrong.State != "" || !wrong.CreatedAt.IsZero() || wrong.Id != "" {
		t.Errorf("AsGeneration of an envelope: %+v, want zero values", wrong)
	}
	wrongEnv, err := lumaResp.AsTaskEnvelope()
	if err != nil {
		t.Fatalf("AsTaskEnvelope of a generation: %v", err)
	}
	if wrongEnv.Data.TaskId != "" || wrongEnv.Code != 0 {
		t.Errorf("AsTaskEnvelope of a generation: %+v, want zero values", wrongEnv)
	}

	for name, c := range map[string]struct {
		r        lumaclient.TaskResponse
		envelope bool
		id       string
	}{
		"envelope":   {envResp, true, envelope.ID},
		"generation": {lumaResp, false, luma.ID},
	} {
		got, err := lumaclient.DecodeTask(c.r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if (got.Envelope != nil) != c.envelope || (got.Generation != nil) == c.envelope || got.ID != c.id {
			t.Errorf("%s: DecodeTask = %+v", name, got)
		}
	}
}

// Generation.id is a plain string in the document (settled there: the export shows a UUID but promises no
// form), so a vendor whose ids are not UUIDs still decodes, in either shape.
func TestAnyTaskIDDecodes(t *testing.T) {
	body := `{"id":"task_01HZX","prompt":"","state":"pending","queue_state":null,"created_at":"2024-12-22T13:38:40.139409Z",
		"batch_id":"","video":null,"video_raw":null,"liked":null,"estimate_wait_seconds":null,"thumbnail":null,"last_frame":null}`
	var r lumaclient.TaskResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if got, err := lumaclient.DecodeTask(r); err != nil || got.ID != "task_01HZX" || got.Generation == nil {
		t.Fatalf("generation with a non-UUID id: %+v, %v", got, err)
	}
	env := `{"code":200,"message":"success","request_id":"r","data":{"task_id":"task_01HZX","task_status":"pending","created_at":1,"updated_at":1}}`
	if err := json.Unmarshal([]byte(env), &r); err != nil {
		t.Fatal(err)
	}
	if got, err := lumaclient.DecodeTask(r); err != nil || got.ID != "task_01HZX" {
		t.Fatalf("envelope with a non-UUID task_id: %+v, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{APIKeys: []string{"good-key"}})
	ctx := context.Background()

	t.Run("400 envelope", func(t *testing.T) {
		resp, err := newClient(t, srv, "good-key", "").CreateGenerationWithResponse(ctx, lumaclient.GenerationRequest{UserPrompt: ""})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusBadRequest || resp.JSON400 == nil {
			t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
		}
		e, err := lumaclient.DecodeError(*resp.JSON400)
		if err != nil {
			t.Fatal(err)
		}
		if e.Envelope == nil || e.Luma != nil || e.Envelope.Code != 400 || e.Message == "" {
			t.Fatalf("DecodeError = %+v", e)
		}
		if len(e.Violations) != 1 || e.Violations[0].Field != "/user_prompt" || e.Violations[0].Rule != "minLength" || e.Violations[0].In != lumaclient.Body {
			t.Errorf("violations %+v", e.Violations)
		}
		if resp.Headers400 == nil || resp.Headers400.XRequestId == nil || *resp.Headers400.XRequestId != e.Envelope.RequestId {
			t.Errorf("X-Request-Id %v, body request_id %q", resp.Headers400, e.Envelope.RequestId)
		}
	})

	t.Run("400 luma", func(t *testing.T) {
		// A body the generated types cannot produce (model_name outside the enum) goes through WithBody.
		resp, err := newClient(t, srv, "good-key", "schema=luma").CreateGenerationWithBodyWithResponse(ctx,
			"application/json", strings.NewReader(`{"user_prompt": "wind", "model_name": "ray-v3", "duration": 5}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON400 == nil {
			t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
		}
		e, err := lumaclient.DecodeError(*resp.JSON400)
		if err != nil {
			t.Fatal(err)
		}
		if e.Luma == nil || e.Envelope != nil || e.Message == "" {
			t.Fatalf("DecodeError = %+v", e)
		}
		detail, err := e.Luma.Detail.AsErrorDetail()
		if err != nil || detail.Code != 400 {
			t.Errorf("detail %+v, %v", detail, err)
		}
		fields := map[string]string{}
		for _, v := range e.Violations {
			fields[v.Field] = v.Rule
		}
		if fields["/model_name"] != "enum" || fields["/duration"] != "type" || len(fields) != 2 {
			t.Errorf("violations %+v", e.Violations)
		}
	})

	t.Run("401", func(t *testing.T) {
		for _, key := range []string{"", "wrong-key"} {
			resp, err := newClient(t, srv, key, "").CreateGenerationWithResponse(ctx, sourceExample())
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != http.StatusUnauthorized || resp.JSON401 == nil {
				t.Fatalf("key %q: status %d, body %s", key, resp.StatusCode(), resp.Body)
			}
			if h := resp.Headers401; h == nil || h.WWWAuthenticate == nil || !strings.HasPrefix(*h.WWWAuthenticate, "Bearer") {
				t.Errorf("key %q: WWW-Authenticate %v", key, h)
			}
			e, err := lumaclient.DecodeError(*resp.JSON401)
			if err != nil || e.Envelope == nil || e.Envelope.Code != 401 {
				t.Errorf("key %q: DecodeError = %+v, %v", key, e, err)
			}
		}
	})

	t.Run("404", func(t *testing.T) {
		resp, err := newClient(t, srv, "good-key", "schema=luma").GetGenerationWithResponse(ctx, "4665a07c-7641-4809-a133-10786201bb56")
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON404 == nil {
			t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
		}
		if e, err := lumaclient.DecodeError(*resp.JSON404); err != nil || e.Luma == nil || e.Message == "" {
			t.Errorf("DecodeError = %+v, %v", e, err)
		}
	})

	t.Run("429", func(t *testing.T) {
		resp, err := newClient(t, srv, "good-key", "code=429").CreateGenerationWithResponse(ctx, sourceExample())
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON429 == nil || resp.Headers429 == nil || resp.Headers429.RetryAfter == nil || *resp.Headers429.RetryAfter < 0 {
			t.Fatalf("status %d, headers %+v, body %s", resp.StatusCode(), resp.Headers429, resp.Body)
		}
	})
}

// Retry-After is "type: integer" in the document, so the generated parser binds it to an int: an HTTP-date
// Retry-After (also valid HTTP, RFC 9110 §10.2.3) makes the ...WithResponse call fail and the answer is lost.
// The plain Client method returns the *http.Response untouched.
func TestRetryAfterMustBeSeconds(t *testing.T) {
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"code":429,"message":"slow down","request_id":"r"}`)
	}))
	defer vendor.Close()
	c, err := lumaclient.NewClientWithResponses(vendor.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.CreateGenerationWithResponse(context.Background(), sourceExample()); err == nil {
		t.Fatalf("an HTTP-date Retry-After parsed: %+v; the generated client now accepts it", resp.Headers429)
	}
	raw, err := c.CreateGeneration(context.Background(), sourceExample())
	if err != nil {
		t.Fatal(err)
	}
	raw.Body.Close()
	if raw.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d", raw.StatusCode)
	}
}
