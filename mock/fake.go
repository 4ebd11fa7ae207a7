package mock

import (
	"strconv"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/lumamock/lumamock"
)

// faker makes the mock's fake data from one seeded source, so a seed and a sequence of requests fix every id
// and URL.
type faker struct {
	mu sync.Mutex
	f  *gofakeit.Faker
}

func newFaker(seed int64) *faker {
	return &faker{f: gofakeit.New(seed)}
}

// ids returns n fresh UUIDs.
func (f *faker) ids(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, n)
	for i := range out {
		out[i] = f.f.UUID()
	}
	return out
}

func (f *faker) id() string { return f.ids(1)[0] }

// failureReasons are the reasons a failed task gives, as upstream Luma words them.
var failureReasons = []string{
	"The prompt was flagged by content moderation.",
	"The reference image could not be loaded.",
	"Generation failed due to an internal error. Please try again.",
	"The generation timed out in the upstream queue.",
}

// result is what a task carries when it ends: assets if completed, a reason if failed.
type result struct {
	video, videoRaw      lumamock.Video
	thumbnail, lastFrame lumamock.Image
	failureReason        string
}

// newResult makes a task's realistic results: Luma CDN URLs and sizes that follow the requested resolution.
func (f *faker) newResult(taskID, resolution string) result {
	f.mu.Lock()
	defer f.mu.Unlock()
	width, height := frameSize(resolution)
	base := "https://storage.cdn-luma.com/dream_machine/" + taskID + "/"
	stem := f.f.UUID()
	video := base + stem + "_result" + f.f.LetterN(6) + ".mp4"
	raw := base + stem + "_raw" + f.f.LetterN(6) + ".mp4"
	return result{
		video:         lumamock.Video{URL: video, DownloadURL: video + "?download=true", Width: width, Height: height},
		videoRaw:      lumamock.Video{URL: raw, DownloadURL: raw + "?download=true", Width: width, Height: height},
		thumbnail:     lumamock.Image{URL: base + stem + "_thumb.jpg", Width: width, Height: height},
		lastFrame:     lumamock.Image{URL: base + stem + "_last_frame.jpg", Width: width, Height: height},
		failureReason: failureReasons[f.f.IntRange(0, len(failureReasons)-1)],
	}
}

// frameSize reads "720p"-style resolutions as a 16:9 frame of that height; anything else (a document served
// with --spec may list other values) is 720p.
func frameSize(resolution string) (width, height int) {
	height, err := strconv.Atoi(strings.TrimSuffix(resolution, "p"))
	if err != nil || height <= 0 || height > 8640 {
		height = 720
	}
	return (height*16/9 + 1) &^ 1, height
}
