package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/weburl"
	"github.com/jobnotify/jobnotify/notify"
)

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:   "validate",
		Usage:  "check the config and print the resolved settings as JSON, secrets as ***",
		Action: a.validate,
	}
}

func (a *app) validate(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if p, err := config.Find(a.str(c, "config"), a.env); err != nil {
		return err
	} else if p == "" {
		return fmt.Errorf("no config file (looked in %s; or give --config FILE)", strings.Join(config.Candidates(a.env), ", "))
	}
	s, err := a.settings(c, config.Overrides{})
	if err != nil {
		return err
	}
	if err := s.NeedURL(); err != nil {
		return err
	}
	if err := notify.CheckTemplate(s); err != nil {
		return err
	}
	headers := map[string]string{}
	for _, h := range s.Headers {
		v := h.Value
		if config.Sensitive(h.Name) {
			v = "***"
		}
		headers[h.Name] = v
	}
	out := map[string]any{
		"config":    s.Path,
		"target":    s.Target,
		"url":       weburl.Display(s.URL),
		"method":    s.Method,
		"format":    s.Format,
		"timeout":   s.Timeout.String(),
		"soft_fail": s.SoftFail,
		"headers":   headers,
		"fields":    orEmpty(s.Fields),
		"retry": map[string]any{
			"attempts": s.Retry.Attempts, "min_wait": s.Retry.MinWait.String(),
			"max_wait": s.Retry.MaxWait.String(), "max_time": s.Retry.MaxTime.String(),
		},
		"env": map[string]any{"include": append([]string{}, s.Env.Include...), "exclude": append([]string{}, s.Env.Exclude...)},
	}
	if s.Signing.Scheme != "" {
		sig := map[string]any{"scheme": s.Signing.Scheme, "secrets": len(s.Signing.Keys)}
		if s.Signing.Header != "" {
			sig["header"] = s.Signing.Header
		}
		out["signing"] = sig
	}
	if s.SpoolDir != "" {
		out["spool"] = map[string]any{"dir": s.SpoolDir}
	}
	if s.TLS != (config.TLS{}) {
		out["tls"] = map[string]any{"ca_file": s.TLS.CAFile, "cert_file": s.TLS.CertFile, "key_file": s.TLS.KeyFile, "insecure_skip_verify": s.TLS.InsecureSkipVerify}
	}
	return a.printJSON(out)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
