// Package listen is a local HTTP receiver for trying jobnotify out: it
// prints every request it gets, checks signatures, and can be told to fail.
package listen

import (
	"context"
	"errors"
	"io"

	"github.com/jobnotify/jobnotify/config"
)

// Options configure a receiver.
type Options struct {
	Addr    string         // host:port to listen on; "" means 127.0.0.1:8787
	Fail    int            // answer 503 to the first Fail requests
	Status  int            // the status of every other answer; 0 means 200
	Signing config.Signing // verify signatures when Scheme is set
}

// Run serves until ctx is done, printing one block per request to out.
// ready, when not nil, is called once with the address it listens on.
func Run(ctx context.Context, o Options, out io.Writer, ready func(addr string)) error {
	return errors.New("listen: not implemented yet")
}
