package adminpage

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/internal/ring"
)

func TestParse(t *testing.T) {
	tests := []struct {
		query   string
		want    Page
		wantErr bool
	}{
		{query: "", want: Page{Limit: 10}},
		{query: "since=4&limit=3", want: Page{Since: 4, Limit: 3}},
		{query: "before=9&limit=2", want: Page{Before: 9, Limit: 2}},
		{query: "limit=5000", want: Page{Limit: 100}},
		{query: "before=99999999999999999999999", want: Page{Before: 1<<63 - 1, Limit: 10}},
		{query: "since=1&before=5", wantErr: true},
		{query: "before=0", want: Page{Limit: 0}},
		{query: "before=0&limit=7", want: Page{Limit: 0}},
		{query: "before=0&limit=x", wantErr: true},
		{query: "since=0&before=0", wantErr: true},
		{query: "limit=5&limit=abc", wantErr: true},
		{query: "limit=5&limit=5", wantErr: true},
		{query: "since=1&since=2", wantErr: true},
		{query: "before=1&before=2", wantErr: true},
		{query: "limit=-1", wantErr: true},
		{query: "since=x", wantErr: true},
		{query: "limit=", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := Parse(q, 10, 100)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q): error %v, want error %v", tt.query, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

func TestParseWithoutBoundKeepsAll(t *testing.T) {
	got, err := Parse(url.Values{}, -1, -1)
	if err != nil || got.Limit != -1 {
		t.Errorf("Parse with no limit and no bound = %+v, %v; want Limit -1", got, err)
	}
}

func TestReadPagesBothWaysAndSetsBounds(t *testing.T) {
	r := ring.New[int64](4)
	for range 6 { // keeps 3..6
		r.Add(func(seq int64) int64 { return seq })
	}
	tests := []struct {
		name string
		page Page
		want []int64
	}{
		{name: "forward", page: Page{Since: 3, Limit: 2}, want: []int64{4, 5}},
		{name: "back from the newest", page: Page{Before: 1 << 62, Limit: 2}, want: []int64{5, 6}},
		{name: "back from a number", page: Page{Before: 5, Limit: 5}, want: []int64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if diff := cmp.Diff(tt.want, Read(r, tt.page, nil, h)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := [2]string{h.Get(HeaderFirstSeq), h.Get(HeaderLastSeq)}; got != [2]string{"3", "6"} {
				t.Errorf("bounds headers %v, want [3 6]", got)
			}
		})
	}
}
