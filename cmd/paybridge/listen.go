package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/webhook"
)

// listener streams a merchant's events from a paybridge server to a local
// URL, like `stripe listen`: it long-polls GET /v1/events/feed and POSTs
// each event, signed per Standard Webhooks, printing one line per event.
type listener struct {
	APIURL    string
	APIKey    string
	ForwardTo string
	Secret    string
	Events    map[string]bool // nil = all
	// FromBeginning replays every stored event first.
	FromBeginning bool
	HTTP          *http.Client
	Sender        *webhook.Sender
	Out           io.Writer
	Wait          time.Duration
}

// runListen is `paybridge listen`.
func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("listen", "Stream a merchant's events from a paybridge server to a local URL, signed\n"+
		"per Standard Webhooks (print the secret with the first line; pass --secret to keep one).", stderr)
	l := &listener{Out: stdout}
	var events string
	fs.StringVar(&l.APIURL, "api-url", envOr("PAYBRIDGE_API_URL", "http://127.0.0.1:8080"), "paybridge's URL (PAYBRIDGE_API_URL)")
	fs.StringVar(&l.APIKey, "api-key", os.Getenv("PAYBRIDGE_API_KEY"), "the merchant's API key (PAYBRIDGE_API_KEY)")
	fs.StringVar(&l.ForwardTo, "forward-to", "", "where to POST each event, e.g. http://localhost:3000/hooks")
	fs.StringVar(&l.Secret, "secret", "", "signing secret whsec_… (default: a new one, printed)")
	fs.StringVar(&events, "events", "*", "comma-separated event types to forward")
	fs.BoolVar(&l.FromBeginning, "from-beginning", false, "forward every stored event first")
	if err := parse(fs, args); err != nil {
		return err
	}
	if l.APIKey == "" || l.ForwardTo == "" {
		fmt.Fprintln(stderr, "paybridge listen: --api-key and --forward-to are required")
		return errUsage
	}
	if events != "*" {
		l.Events = map[string]bool{}
		for _, t := range strings.Split(events, ",") {
			l.Events[strings.TrimSpace(t)] = true
		}
	}
	return l.Run(ctx)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Run streams until ctx ends. Transient errors are printed and retried
// with a short backoff; an invalid key stops it.
func (l *listener) Run(ctx context.Context) error {
	if l.HTTP == nil {
		l.HTTP = &http.Client{Timeout: 90 * time.Second}
	}
	if l.Sender == nil {
		l.Sender = webhook.NewSender(true) // the developer's own machine
	}
	if l.Secret == "" {
		l.Secret = webhook.NewSecret()
	}
	if l.Wait == 0 {
		l.Wait = 25 * time.Second
	}
	fmt.Fprintf(l.Out, "Ready! Forwarding events to %s; signing secret %s\n", l.ForwardTo, l.Secret)
	cursor, backoff := "", time.Duration(0)
	first := true
	for ctx.Err() == nil {
		evs, next, err := l.poll(ctx, cursor, first)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var fatal *fatalError
			if errors.As(err, &fatal) {
				return err
			}
			backoff = min(max(2*backoff, 250*time.Millisecond), 10*time.Second)
			fmt.Fprintf(l.Out, "%s  poll failed: %v (retrying in %s)\n", time.Now().Format(time.TimeOnly), err, backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			continue
		}
		first, backoff, cursor = false, 0, next
		for _, ev := range evs {
			l.forward(ctx, ev)
		}
	}
	return nil
}

// fatalError stops listen (a refused key will not get better).
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

func (l *listener) poll(ctx context.Context, cursor string, first bool) ([]*paybridge.Event, string, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
		q.Set("wait", fmt.Sprint(int(l.Wait/time.Second)))
	} else if first && l.FromBeginning {
		q.Set("from", "beginning")
		q.Set("wait", "0")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(l.APIURL, "/")+"/v1/events/feed?"+q.Encode(), nil)
	if err != nil {
		return nil, "", &fatalError{err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+l.APIKey)
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, "", &fatalError{fmt.Sprintf("paybridge refused the API key (%d)", resp.StatusCode)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("paybridge answered %d", resp.StatusCode)
	}
	var out struct {
		Data   []*paybridge.Event `json:"data"`
		Cursor string             `json:"cursor"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, "", err
	}
	return out.Data, out.Cursor, nil
}

// forward POSTs one event and prints a line: time, type, id, outcome.
func (l *listener) forward(ctx context.Context, ev *paybridge.Event) {
	if l.Events != nil && !l.Events[string(ev.Type)] {
		return
	}
	body, err := jobs.Payload(ev)
	if err != nil {
		return
	}
	res, err := l.Sender.Send(ctx, l.ForwardTo, ev.ID, body, l.Secret)
	outcome := fmt.Sprintf("[%d]", res.Status)
	if err != nil && res.Status == 0 {
		outcome = "[error: " + err.Error() + "]"
	}
	fmt.Fprintf(l.Out, "%s  --> %s [%s] %s  %s\n", time.Now().Format(time.TimeOnly), ev.Type, ev.ID, ev.ObjectID, outcome)
}
