// Command dumpgen writes a large full goroutine dump (the debug=2 text form, as
// runtime.Stack(all) prints it) for the goroutine-parser benchmark:
//
//	go run . -n 200000 > big.txt
//
// It parks n goroutines on channels, selects and locks at 60 different sites
// (methods, closures, recursive chains), then dumps them all: about 64 MB
// for the default 200,000.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

var (
	nobodySends    = make(chan int)
	nobodyReceives = make(chan int)
	mu    sync.Mutex
	wg    sync.WaitGroup
)

// park blocks in one of four ways, chosen by kind.
//
//go:noinline
func park(kind int, started *sync.WaitGroup) {
	started.Done()
	switch kind % 4 {
	case 0:
		<-nobodySends
	case 1:
		nobodyReceives <- 1
	case 2:
		select {
		case <-nobodySends:
		case nobodyReceives <- 2:
		}
	default:
		mu.Lock()
	}
}

// chain calls itself depth times before parking, so stacks differ in depth.
//
//go:noinline
func chain(depth, kind int, started *sync.WaitGroup) {
	if depth == 0 {
		park(kind, started)
		return
	}
	chain(depth-1, kind, started)
}

type server struct{ name string }

//go:noinline
func (s *server) handle(site int, started *sync.WaitGroup) {
	park(site, started)
}

func main() {
	n := flag.Int("n", 200000, "goroutines to park")
	flag.Parse()
	mu.Lock()
	s := &server{name: "bench"}
	var started sync.WaitGroup
	started.Add(*n)
	for i := 0; i < *n; i++ {
		site := i % 60
		if site%2 == 0 {
			go s.handle(site, &started)
		} else {
			go func(site int) { chain(site%5/4, site, &started) }(site)
		}
	}
	started.Wait()
	time.Sleep(100 * time.Millisecond)
	buf := make([]byte, 256<<20)
	k := runtime.Stack(buf, true)
	if k == len(buf) {
		fmt.Fprintln(os.Stderr, "dump buffer too small")
		os.Exit(1)
	}
	os.Stdout.Write(buf[:k])
}
