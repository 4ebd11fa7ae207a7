package mock

import (
	"testing"
	"unsafe"
)

// TestTaskStaysSmall: the garbage collector scans objects of up to 512 bytes by the span, cheaply; the mock keeps
// up to MaxTasks of them, so a task that grows past it costs every request (see task.res).
func TestTaskStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(task{}); size > 512 {
		t.Errorf("a task is %d bytes, over 512: keep large or rarely used parts behind a pointer", size)
	}
}
