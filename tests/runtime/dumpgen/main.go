// dumpgen leaks goroutines in known ways, then writes a goroutine dump to
// stdout: the full text form (runtime.Stack with all=true, as debug=2 and
// panics print it) by default, the grouped form (pprof debug=1) with the
// argument "debug1", gzip'd protobuf (pprof debug=0) with "debug0". The leakhound tests run it and check the sites, counts
// and lines they find.
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// leakReceivers starts n goroutines that wait on a channel nobody sends on.
func leakReceivers(n int) {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func() {
			<-ch // LEAK: receive
		}()
	}
}

// leakSenders starts n goroutines that send on an unbuffered channel nobody receives from.
func leakSenders(n int) {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func(v int) {
			ch <- v // LEAK: send
		}(i)
	}
}

// leakSelect starts n goroutines that select on a context that is never cancelled.
func leakSelect(n int) {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel
	work := make(chan int)
	for i := 0; i < n; i++ {
		go func() {
			select { // LEAK: select
			case <-ctx.Done():
			case <-work:
			}
		}()
	}
}

// lockedForever starts one goroutine blocked on a mutex that is never unlocked.
func lockedForever(mu *sync.Mutex) {
	mu.Lock()
	go func() {
		mu.Lock() // LEAK: mutex
	}()
}

// sleeper is not a leak: it sleeps.
func sleeper() {
	go func() {
		time.Sleep(time.Hour)
	}()
}

func main() {
	leakReceivers(7)
	leakSenders(4)
	leakSelect(3)
	var mu sync.Mutex
	lockedForever(&mu)
	sleeper()
	time.Sleep(200 * time.Millisecond) // let them all block
	if len(os.Args) > 1 && (os.Args[1] == "debug1" || os.Args[1] == "debug0") {
		debug := 1
		if os.Args[1] == "debug0" {
			debug = 0 // gzip'd protobuf
		}
		if err := pprof.Lookup("goroutine").WriteTo(os.Stdout, debug); err != nil {
			os.Exit(1)
		}
		return
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stdout.Write(buf[:n])
}
