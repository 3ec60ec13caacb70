package email

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Outbox is a Sender that keeps the last Max messages in memory and shows
// them at a page (sandbox mode's GET /sandbox/outbox), so a newcomer sees
// the payment links and receipts paybridge would have mailed.
type Outbox struct {
	Max int              // default 200
	Now func() time.Time // default time.Now

	mu   sync.Mutex
	msgs []Message
	subs []chan Message
}

// Send stores m.
func (o *Outbox) Send(_ context.Context, m Message) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	m.SentAt = now().UTC()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	if max := o.max(); len(o.msgs) > max {
		o.msgs = append([]Message(nil), o.msgs[len(o.msgs)-max:]...)
	}
	for _, c := range o.subs {
		select {
		case c <- m:
		default:
		}
	}
	return nil
}

func (o *Outbox) max() int {
	if o.Max > 0 {
		return o.Max
	}
	return 200
}

// Messages returns a copy of the stored messages, oldest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// Subscribe returns a channel receiving each later message (buffered; a
// slow reader misses messages rather than blocking senders): how tests
// wait for mail without sleeping.
func (o *Outbox) Subscribe() <-chan Message {
	c := make(chan Message, 64)
	o.mu.Lock()
	o.subs = append(o.subs, c)
	o.mu.Unlock()
	return c
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox outbox</title></head><body>
<h1>Sandbox outbox</h1>
<p>Mail paybridge sent in sandbox mode (nothing left this machine), newest first.</p>
{{if .One}}{{with .One}}<p><a href="?">All messages</a></p>
<h2>{{.Subject}}</h2><p>To: {{.To}} · {{.SentAt.Format "2006-01-02 15:04:05 MST"}} · {{.Kind}}</p>
<pre>{{.Text}}</pre>{{end}}
{{else}}<ol reversed>{{range $i, $m := .All}}<li><a href="?m={{$i}}">{{$m.Subject}}</a> to {{$m.To}} ({{$m.Kind}})</li>{{else}}<li>No mail yet.</li>{{end}}</ol>{{end}}
</body></html>`))

// Handler serves the outbox page: the list, or one message with ?m=<n>.
// Messages are shown as text (never their HTML), so the page needs no
// relaxed CSP.
func (o *Outbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msgs := o.Messages()
		data := struct {
			All []Message
			One *Message
		}{All: msgs}
		if s := r.URL.Query().Get("m"); s != "" {
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(msgs) {
				http.NotFound(w, r)
				return
			}
			data.One = &msgs[i]
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		_ = outboxPage.Execute(w, data)
	})
}
