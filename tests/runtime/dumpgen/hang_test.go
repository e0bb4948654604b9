package main

import (
	"os"
	"testing"
)

// TestHang blocks until `go test -timeout` panics and prints every goroutine:
// the leakhound tests read that output. Skipped unless DUMPGEN_HANG is set.
func TestHang(t *testing.T) {
	if os.Getenv("DUMPGEN_HANG") == "" {
		t.Skip("run by leakhound's tests with DUMPGEN_HANG=1 and a short -timeout")
	}
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		go func() {
			<-ch // LEAK: test helper
		}()
	}
	<-ch // LEAK: test itself
}
