package mock

import (
	"strconv"
	"unicode/utf8"

	"github.com/lumamock/lumamock"
)

// The mock answers every request with a task, so it encodes the two task shapes by hand: the output is what
// encoding/json (without HTML escaping) writes, byte for byte, as TestAppendTaskMatchesEncodingJSON and
// FuzzAppendString prove, in a fraction of the time.

// appendTask appends the JSON of v when it is one of the task shapes, reporting whether it was.
func appendTask(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case lumamock.TaskEnvelope:
		return appendEnvelope(b, &v), true
	case lumamock.Generation:
		return appendGeneration(b, &v), true
	}
	return b, false
}

func appendEnvelope(b []byte, e *lumamock.TaskEnvelope) []byte {
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	b = append(b, `,"request_id":`...)
	b = appendString(b, e.RequestID)
	d := &e.Data
	b = append(b, `,"data":{"task_id":`...)
	b = appendString(b, d.TaskID)
	b = append(b, `,"task_status":`...)
	b = appendString(b, string(d.TaskStatus))
	b = append(b, `,"created_at":`...)
	b = strconv.AppendInt(b, d.CreatedAt, 10)
	b = append(b, `,"updated_at":`...)
	b = strconv.AppendInt(b, d.UpdatedAt, 10)
	if d.Video != nil {
		b = appendVideo(append(b, `,"video":`...), d.Video)
	}
	if d.VideoRaw != nil {
		b = appendVideo(append(b, `,"video_raw":`...), d.VideoRaw)
	}
	if d.Thumbnail != nil {
		b = appendImage(append(b, `,"thumbnail":`...), d.Thumbnail)
	}
	if d.LastFrame != nil {
		b = appendImage(append(b, `,"last_frame":`...), d.LastFrame)
	}
	if d.FailureReason != nil {
		b = appendString(append(b, `,"failure_reason":`...), *d.FailureReason)
	}
	return append(b, "}}"...)
}

func appendGeneration(b []byte, g *lumamock.Generation) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, g.ID)
	b = append(b, `,"prompt":`...)
	b = appendString(b, g.Prompt)
	b = append(b, `,"state":`...)
	b = appendString(b, string(g.State))
	b = append(b, `,"queue_state":`...)
	if g.QueueState == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *g.QueueState)
	}
	b = append(b, `,"created_at":"`...)
	b = g.CreatedAt.UTC().AppendFormat(b, lumamock.LumaTimeLayout)
	b = append(b, `","batch_id":`...)
	b = appendString(b, g.BatchID)
	b = appendVideo(append(b, `,"video":`...), g.Video)
	b = appendVideo(append(b, `,"video_raw":`...), g.VideoRaw)
	b = append(b, `,"liked":`...)
	if g.Liked == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendBool(b, *g.Liked)
	}
	b = append(b, `,"estimate_wait_seconds":`...)
	if g.EstimateWaitSeconds == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*g.EstimateWaitSeconds), 10)
	}
	b = appendImage(append(b, `,"thumbnail":`...), g.Thumbnail)
	b = appendImage(append(b, `,"last_frame":`...), g.LastFrame)
	if g.FailureReason != nil {
		b = appendString(append(b, `,"failure_reason":`...), *g.FailureReason)
	}
	return append(b, '}')
}

func appendVideo(b []byte, v *lumamock.Video) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = appendString(append(b, `{"url":`...), v.URL)
	if v.DownloadURL != "" {
		b = appendString(append(b, `,"download_url":`...), v.DownloadURL)
	}
	b = strconv.AppendInt(append(b, `,"width":`...), int64(v.Width), 10)
	b = strconv.AppendInt(append(b, `,"height":`...), int64(v.Height), 10)
	return append(b, '}')
}

func appendImage(b []byte, v *lumamock.Image) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = appendString(append(b, `{"url":`...), v.URL)
	b = strconv.AppendInt(append(b, `,"width":`...), int64(v.Width), 10)
	b = strconv.AppendInt(append(b, `,"height":`...), int64(v.Height), 10)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does without HTML escaping: control characters
// escaped, invalid UTF-8 as \ufffd, and U+2028, U+2029 escaped for JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
