package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/listen"
)

func (a *app) listenCommand() *cli.Command {
	return &cli.Command{
		Name:      "listen",
		Usage:     "run a local receiver that prints what it gets, for trying things out",
		UsageText: "jobnotify listen [--addr 127.0.0.1:8787] [--fail N] [--status CODE]",
		Description: `Prints each request (method, path, headers with secret values as ***, the
body pretty-printed when it is JSON) and checks its signature with the
[signing] config; a request whose signature is invalid is answered 401, as a
real receiver would refuse it. In another terminal:
   jobnotify send --url http://127.0.0.1:8787/hook --status SUCCESS

Stop it with Ctrl-C (SIGINT) or SIGTERM: that is exit 0.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8787", DefaultText: "127.0.0.1:8787", Usage: "`HOST:PORT` to listen on (loopback unless you say otherwise)"},
			&cli.IntFlag{Name: "fail", Usage: "answer 503 to the first `N` requests, to watch retries"},
			&cli.IntFlag{Name: "status", Value: 200, Usage: "the status `CODE` of every other answer"},
		},
		Action: a.listen,
	}
}

// listen runs the local receiver until SIGINT or SIGTERM.
func (a *app) listen(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	f, err := a.loadConfig(c)
	if err != nil {
		return err
	}
	var sign config.Signing
	if f != nil {
		target, err := a.oneTarget(c)
		if err != nil {
			return err
		}
		s, err := a.resolve(f, target, config.Overrides{})
		if err != nil {
			return err
		}
		sign = s.Signing
	}
	o := listen.Options{Addr: c.String("addr"), Fail: c.Int("fail"), Status: c.Int("status"), Signing: sign, Now: time.Now}
	err = listen.Run(c.Context, o, a.stdout, func(addr string) {
		a.logf("listening on http://%s/ (Ctrl-C to stop)", addr)
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			a.logf("warning: %s is not a loopback address: other machines can send to it", addr)
		}
	})
	if c.Context.Err() != nil {
		return nil // stopped by SIGINT or SIGTERM, as asked
	}
	var oe *listen.OptionError
	if errors.As(err, &oe) {
		return fmt.Errorf("--%s: %w", oe.Option, oe.Err)
	}
	return err
}
