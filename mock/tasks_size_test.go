package mock

import (
	"testing"
	"unsafe"
)

// TestTaskStaysSmall: the mock keeps up to MaxTasks tasks, which the garbage collector scans again and again, so
// a task's size costs every request. It stays in the 416-byte size class (objects of up to 512 bytes are scanned
// by the span, cheaply); large or rarely used parts go behind a pointer (task.res, task.dispatch).
func TestTaskStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(task{}); size > 416 {
		t.Errorf("a task is %d bytes, over 416: keep large or rarely used parts behind a pointer", size)
	}
}
