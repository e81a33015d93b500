// Command minpost is the floor the benchmark harness compares jobnotify
// with: one net/http POST of a file, and exit. With -start alone it exits
// at once: its own process start and exit, without the POST.
//
//	minpost URL FILE ['Name: value']...
//	minpost -start
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-start" {
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: minpost URL FILE ['Name: value']...")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	req, err := http.NewRequest(http.MethodPost, os.Args[1], bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, h := range os.Args[3:] {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintln(os.Stderr, resp.Status)
		os.Exit(1)
	}
}
