package lumamock

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(revision, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: revision}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "d379317b359377f3b81ada2cd680e41f04a98f8f"
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"stamped with ldflags wins", "1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}, Settings: vcs(rev, "false")}, true, "1.4.0"},
		{"no build info", DevVersion, nil, false, DevVersion},
		{"go install module@tag", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, true, "1.3.0"},
		{"tag of a dirty checkout", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0+dirty"}, Settings: vcs(rev, "true")}, true, "1.3.0+dirty"},
		{"checkout without a tag", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126231831-d379317b3593"}, Settings: vcs(rev, "false")}, true, DevVersion + "+d379317b3593"},
		{"dirty checkout after a tag", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "v1.3.1-0.20261126231831-d379317b3593+dirty"}, Settings: vcs(rev, "true")}, true, DevVersion + "+d379317b3593.dirty"},
		{"devel with VCS", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, true, DevVersion + "+d379317b3593"},
		{"go install module@commit", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126231831-d379317b3593"}}, true, "0.0.0-20261126231831-d379317b3593"},
		{"devel without VCS (go run, go test)", DevVersion, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, DevVersion},
		{"empty main version", DevVersion, &debug.BuildInfo{}, true, DevVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveVersion(tt.stamped, tt.info, tt.ok); got != tt.want {
				t.Errorf("resolveVersion(%q, …) = %q, want %q", tt.stamped, got, tt.want)
			}
		})
	}
}

// TestVersionResolvedAtInit checks that Version is what init made of this binary's own build information.
func TestVersionResolvedAtInit(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if want := resolveVersion(DevVersion, info, ok); Version != want {
		t.Errorf("Version = %q, want %q", Version, want)
	}
}
