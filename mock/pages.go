package mock

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/internal/adminpage"
)

// MaxTaskPage is the most tasks one read of GET /__mock/tasks answers when it pages (gives limit, since, before,
// state or id). Without any of those it answers every task kept, as it always did.
const MaxTaskPage = 1000

// Headers of a paged GET /__mock/tasks: how many tasks match its filters, and how many of those matching its id
// filter are in each state ("pending=1, processing=0, completed=4, failed=0"), and the server's clock.
const (
	HeaderTotalCount = "X-Total-Count"
	HeaderTaskCounts = "X-Lumamock-Task-Counts"
	// HeaderNow is the server's clock (Options.Clock) when the page was read, in RFC 3339.
	HeaderNow = "X-Lumamock-Now"
)

// TaskQuery selects tasks: those numbered above Since, oldest first, or, when Before is not 0, the newest
// numbered below Before; at most Limit of them (all when negative), in one of States (any when empty), whose
// id contains ID (any case; any id when empty).
type TaskQuery struct {
	Since  int64
	Before int64
	Limit  int
	States []lumamock.TaskState
	ID     string
}

// TaskPage is the answer to a TaskQuery.
type TaskPage struct {
	// Tasks are the tasks selected, oldest first.
	Tasks []TaskRecord
	// Matching is how many tasks kept pass the query's filters (States and ID), on any page.
	Matching int
	// States counts the tasks kept whose id passes the ID filter, by state now.
	States map[lumamock.TaskState]int
	// Now is the server's clock when the page was read: the states are those at Now.
	Now time.Time
}

// TasksPage returns the tasks of DefaultSession q selects.
func (s *Server) TasksPage(q TaskQuery) TaskPage { return s.Default().TasksPage(q) }

// TasksPage returns the session's tasks q selects.
func (ss *Session) TasksPage(q TaskQuery) TaskPage {
	page, out := ss.taskPage(q)
	out.Tasks = make([]TaskRecord, len(page))
	for i, t := range page {
		out.Tasks[i] = t.record(out.Now, ss.srv.opts.APIKeys)
	}
	return out
}

// taskPage selects the tasks q asks for, oldest first, and counts them as TaskPage does (its Tasks left nil).
func (ss *Session) taskPage(q TaskQuery) ([]*task, TaskPage) {
	now := ss.clock.Now()
	id := strings.ToLower(q.ID)
	out := TaskPage{States: map[lumamock.TaskState]int{}, Now: now}
	var match []*task
	for _, t := range ss.tasks.list() {
		if id != "" && !strings.Contains(strings.ToLower(t.id), id) {
			continue
		}
		state := t.at(now).State
		out.States[state]++
		if len(q.States) > 0 && !slices.Contains(q.States, state) {
			continue
		}
		match = append(match, t)
	}
	out.Matching = len(match)
	var page []*task
	if q.Before != 0 {
		end, _ := slices.BinarySearchFunc(match, q.Before, func(t *task, seq int64) int { return cmpSeq(t.seq, seq) })
		start := 0
		if q.Limit >= 0 {
			start = max(0, end-q.Limit)
		}
		page = match[start:end]
	} else {
		start, found := slices.BinarySearchFunc(match, q.Since, func(t *task, seq int64) int { return cmpSeq(t.seq, seq) })
		if found {
			start++
		}
		page = match[start:]
		if q.Limit >= 0 && len(page) > q.Limit {
			page = page[:q.Limit]
		}
	}
	return page, out
}

func cmpSeq(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// taskQuery reads a TaskQuery from GET /__mock/tasks's query; paged is false when it asks for no page nor
// filter (then every task is answered).
func taskQuery(q url.Values) (tq TaskQuery, paged bool, err error) {
	for _, name := range []string{"limit", "since", "before", "state", "id"} {
		paged = paged || q.Has(name)
	}
	p, err := adminpage.Parse(q, MaxTaskPage, MaxTaskPage)
	if err != nil {
		return TaskQuery{}, false, err
	}
	id, err := adminpage.One(q, "id")
	if err != nil {
		return TaskQuery{}, false, err
	}
	tq = TaskQuery{Since: p.Since, Before: p.Before, Limit: p.Limit, ID: id}
	if !paged {
		tq.Limit = -1
	}
	for _, v := range q["state"] {
		for _, name := range strings.Split(v, ",") {
			state := lumamock.TaskState(strings.TrimSpace(name))
			if !slices.Contains(taskStates, state) {
				return TaskQuery{}, false, fmt.Errorf("query parameter state: %q is not one of %s", name, joinStates(taskStates))
			}
			tq.States = append(tq.States, state)
		}
	}
	return tq, paged, nil
}

// taskStates are the states a task can be in, in lifecycle order.
var taskStates = []lumamock.TaskState{lumamock.StatePending, lumamock.StateProcessing, lumamock.StateCompleted, lumamock.StateFailed}

func joinStates(states []lumamock.TaskState) string {
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// taskList is the list read of GET /__mock/tasks: the tasks the query selects, with the count headers when it
// pages.
func (ss *Session) taskList(q url.Values) (adminapi.Read, error) {
	tq, paged, err := taskQuery(q)
	if err != nil {
		return nil, adminapi.BadRequest(err.Error())
	}
	return func(h http.Header) adminpage.Items {
		tasks, page := ss.taskPage(tq)
		if paged {
			counts := make([]string, len(taskStates))
			for i, state := range taskStates {
				counts[i] = string(state) + "=" + strconv.Itoa(page.States[state])
			}
			h.Set(HeaderTotalCount, strconv.Itoa(page.Matching))
			h.Set(HeaderTaskCounts, strings.Join(counts, ", "))
			h.Set(HeaderNow, page.Now.UTC().Format(time.RFC3339Nano))
		}
		return adminpage.Slice[*task]{Items: tasks, RenderItem: func(t **task) any { return (*t).shown(page.Now, ss.srv.opts.APIKeys) }}
	}, nil
}

// TaskResult is what a task brought once it ended: the URLs of its assets when it completed, the reason when it
// failed.
type TaskResult struct {
	Video         string `json:"video,omitempty"`
	VideoRaw      string `json:"video_raw,omitempty"`
	Thumbnail     string `json:"thumbnail,omitempty"`
	LastFrame     string `json:"last_frame,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
}

// resultRecord is the task's result in state, nil when state is not an end.
func (t *task) resultRecord(state lumamock.TaskState) *TaskResult {
	switch state {
	case lumamock.StateCompleted:
		r := t.result()
		return &TaskResult{Video: r.video.URL, VideoRaw: r.videoRaw.URL, Thumbnail: r.thumbnail.URL, LastFrame: r.lastFrame.URL}
	case lumamock.StateFailed:
		return &TaskResult{FailureReason: t.result().failureReason}
	}
	return nil
}
