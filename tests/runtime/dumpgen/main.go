// dumpgen leaks goroutines (and retains memory) in known ways, then writes its
// own profiles. The leakhound tests run it and check the sites, counts and lines
// they find against the `// LEAK:` and `// ALLOC:` markers below.
//
//	dumpgen              full goroutine dump (runtime.Stack with all=true, as debug=2 and panics print it)
//	dumpgen debug1       grouped goroutine profile (pprof debug=1)
//	dumpgen debug0       gzip'd protobuf goroutine profile (pprof debug=0)
//	dumpgen heap DIR     heap profiles in DIR: heap.pb.gz (debug=0) and heap.txt (debug=1), same moment
//	dumpgen snapshots DIR  before/after pairs (goroutines in all three forms, heap in both) around more leaks
//	dumpgen serve        net/http/pprof on a loopback port (printed first), /leak?n=K leaks K more;
//	                     exits when stdin closes or after 60 seconds
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
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

// leakFileReaders starts n goroutines that open a file and block before closing it:
// the static scan reports the file (file-close) in the same function.
func leakFileReaders(n int) {
	never := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			f, err := os.Open(os.Args[0])
			if err != nil {
				return
			}
			buf := make([]byte, 4)
			if _, err := f.Read(buf); err != nil {
				return
			}
			<-never // LEAK: file
		}()
	}
}

// leakMore is the leak that grows between two snapshots.
func leakMore(n int) {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func() {
			<-ch // LEAK: more
		}()
	}
}

// sleeper is not a leak: it sleeps.
func sleeper() {
	go func() {
		time.Sleep(time.Hour)
	}()
}

type node struct {
	buf  [120]byte
	next *node
}

var (
	retained [][]byte
	nodes    []*node
)

// retainBig keeps n 1 MB buffers.
func retainBig(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 1<<20) // ALLOC: big
		retained = append(retained, b)
	}
}

// retainSmall keeps n 128-byte objects: sampled rarely, so the profile must be scaled.
func retainSmall(n int) {
	for i := 0; i < n; i++ {
		nd := &node{} // ALLOC: small
		nodes = append(nodes, nd)
	}
}

// retainMore is the memory that grows between two snapshots.
func retainMore(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 1<<20) // ALLOC: more
		retained = append(retained, b)
	}
}

func leakAll() {
	leakReceivers(7)
	leakSenders(4)
	leakSelect(3)
	var mu sync.Mutex
	lockedForever(&mu)
	leakFileReaders(2)
	sleeper()
	time.Sleep(200 * time.Millisecond) // let them all block
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func writeProfile(path, name string, debug int) {
	f, err := os.Create(path)
	must(err)
	must(pprof.Lookup(name).WriteTo(f, debug))
	must(f.Close())
}

func writeStack(path string) {
	buf := make([]byte, 8<<20)
	n := runtime.Stack(buf, true)
	must(os.WriteFile(path, buf[:n], 0o644))
}

// writeHeap writes both heap forms from the same garbage collection.
func writeHeap(dir, prefix string) {
	runtime.GC()
	writeProfile(filepath.Join(dir, prefix+".pb.gz"), "heap", 0)
	writeProfile(filepath.Join(dir, prefix+".txt"), "heap", 1)
}

func serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	http.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		leakMore(n)
		time.Sleep(100 * time.Millisecond)
		fmt.Fprintf(w, "leaked %d\n", n)
	})
	go func() { _ = http.Serve(ln, nil) }()
	fmt.Println(ln.Addr().String())
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
}

// warmUp allocates garbage until the allocator has drawn its next sample point
// at the new MemProfileRate (the first one was drawn at the default 512 kB).
func warmUp() {
	for i := 0; i < 16; i++ {
		garbage = make([]byte, 1<<20)
	}
	garbage = nil
}

var garbage []byte

func main() {
	runtime.MemProfileRate = 64 * 1024
	warmUp()
	retainBig(8)
	retainSmall(200000)
	leakAll()
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "debug1":
		must(pprof.Lookup("goroutine").WriteTo(os.Stdout, 1))
	case "debug0":
		must(pprof.Lookup("goroutine").WriteTo(os.Stdout, 0))
	case "heap":
		writeHeap(os.Args[2], "heap")
	case "snapshots":
		dir := os.Args[2]
		writeStack(filepath.Join(dir, "before.txt"))
		writeProfile(filepath.Join(dir, "before1.txt"), "goroutine", 1)
		writeProfile(filepath.Join(dir, "before.pb.gz"), "goroutine", 0)
		writeHeap(dir, "heap-before")
		leakMore(25)
		retainMore(16)
		time.Sleep(200 * time.Millisecond)
		writeStack(filepath.Join(dir, "after.txt"))
		writeProfile(filepath.Join(dir, "after1.txt"), "goroutine", 1)
		writeProfile(filepath.Join(dir, "after.pb.gz"), "goroutine", 0)
		writeHeap(dir, "heap-after")
	case "serve":
		serve()
	default:
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		_, _ = os.Stdout.Write(buf[:n])
	}
}
