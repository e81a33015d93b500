// Command server is the benchmark harness's receiver: an HTTP server on
// 127.0.0.1 that reads each request body in full and answers 200.
//
// A request to /hang is read and never answered: the receiver of an
// outage, until the client gives up.
//
// A request with an X-Bench-Fail: N header is answered 503 the first N
// times its Idempotency-Key is seen, so the harness can measure retries.
//
//	go run ./bench/server -addr-file /tmp/addr
//
// It writes the base URL (http://127.0.0.1:PORT) to -addr-file once it is
// listening, and runs until killed.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
)

func main() {
	addrFile := flag.String("addr-file", "", "write the base URL to this `FILE` once listening (default: stdout)")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if *addrFile == "" {
		fmt.Println(base)
	} else if err := os.WriteFile(*addrFile, []byte(base+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	h := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/hang" {
			<-r.Context().Done() // the client's timeout closes the connection
			return
		}
		if n, err := strconv.Atoi(r.Header.Get("X-Bench-Fail")); err == nil {
			id := r.Header.Get("Idempotency-Key")
			mu.Lock()
			seen[id]++
			fail := seen[id] <= n
			if !fail {
				delete(seen, id)
			}
			mu.Unlock()
			if fail {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	}
	log.Fatal(http.Serve(ln, http.HandlerFunc(h)))
}
