package mock

import (
	"encoding/binary"
	"encoding/hex"
	randv2 "math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/lumamock/lumamock"
)

// faker makes the mock's fake data from one seeded source, so a seed and a sequence of requests fix every id
// and URL.
type faker struct {
	mu  sync.Mutex
	src *randv2.PCG
}

func newFaker(seed int64) *faker {
	return &faker{src: pcgSource(uint64(seed)).PCG}
}

// id returns a fresh UUID.
func (f *faker) id() string {
	f.mu.Lock()
	hi, lo := f.src.Uint64(), f.src.Uint64()
	f.mu.Unlock()
	return formatUUID(hi, lo)
}

// task returns a fresh task id and the seed of that task's own results.
func (f *faker) task() (id string, seed uint64) {
	f.mu.Lock()
	hi, lo, seed := f.src.Uint64(), f.src.Uint64(), f.src.Uint64()
	f.mu.Unlock()
	return formatUUID(hi, lo), seed
}

// formatUUID writes 128 random bits as a version 4, RFC 9562 variant UUID.
func formatUUID(hi, lo uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

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

// newResult makes a task's realistic results from the task's own seed: Luma CDN URLs and sizes that follow the
// requested resolution. Results are made only when a task ends, and the same seed always makes the same ones.
func newResult(seed uint64, taskID, resolution string) result {
	f := gofakeit.NewCustom(pcgSource(seed))
	width, height := frameSize(resolution)
	base := "https://storage.cdn-luma.com/dream_machine/" + taskID + "/"
	stem := f.UUID()
	video := base + stem + "_result" + f.LetterN(6) + ".mp4"
	raw := base + stem + "_raw" + f.LetterN(6) + ".mp4"
	return result{
		video:         lumamock.Video{URL: video, DownloadURL: video + "?download=true", Width: width, Height: height},
		videoRaw:      lumamock.Video{URL: raw, DownloadURL: raw + "?download=true", Width: width, Height: height},
		thumbnail:     lumamock.Image{URL: base + stem + "_thumb.jpg", Width: width, Height: height},
		lastFrame:     lumamock.Image{URL: base + stem + "_last_frame.jpg", Width: width, Height: height},
		failureReason: failureReasons[f.IntRange(0, len(failureReasons)-1)],
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

// pcg is a math/rand Source64 over math/rand/v2's PCG, which seeds in nanoseconds where math/rand's own
// source takes microseconds; gofakeit draws from it.
type pcg struct{ *randv2.PCG }

func pcgSource(seed uint64) pcg { return pcg{randv2.NewPCG(seed, seed^0x9e3779b97f4a7c15)} }

func (p pcg) Int63() int64    { return int64(p.Uint64() >> 1) }
func (p pcg) Seed(seed int64) { p.PCG.Seed(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15) }
