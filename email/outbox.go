package email

import (
	"context"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
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
	seqs []int // each message's number, 1 for the first ever sent
	next int
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
	o.next++
	o.msgs, o.seqs = append(o.msgs, m), append(o.seqs, o.next)
	if max := o.max(); len(o.msgs) > max {
		o.msgs = append([]Message(nil), o.msgs[len(o.msgs)-max:]...)
		o.seqs = append([]int(nil), o.seqs[len(o.seqs)-max:]...)
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

// shown is one message on the outbox page: its number (stable while it
// is kept) and its plain part with the links made clickable.
type shown struct {
	Message
	N    int
	Body template.HTML
	Link string // the first link in the text
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox outbox</title></head><body>
<h1>Sandbox outbox</h1>
<p>Mail paybridge sent in sandbox mode (nothing left this machine), newest first.</p>
{{if .One}}{{with .One}}<p><a href="?">All messages</a></p>
<h2>{{.Subject}}</h2><p>To: {{.To}} · {{.SentAt.Format "2006-01-02 15:04:05 MST"}} · {{.Kind}}</p>
<h3>Plain text</h3><pre>{{.Body}}</pre>
{{if .HTML}}<h3>HTML</h3><iframe title="HTML part of {{.Subject}}" src="?m={{.N}}&amp;part=html" sandbox="allow-popups allow-top-navigation-by-user-activation" width="100%" height="640"></iframe>{{end}}{{end}}
{{else}}<ol>{{range .All}}<li><a href="?m={{.N}}">{{.Subject}}</a> to {{.To}} ({{.Kind}}, {{.SentAt.Format "15:04:05"}}){{if .Link}} · <a href="{{.Link}}">open its link</a>{{end}}</li>{{else}}<li>No mail yet.</li>{{end}}</ol>{{end}}
</body></html>`))

// linkRe finds the links in a plain-text mail.
var linkRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify escapes text and makes its http(s) links clickable.
func linkify(text string) (template.HTML, string) {
	var b strings.Builder
	first, last := "", 0
	for _, loc := range linkRe.FindAllStringIndex(text, -1) {
		u := text[loc[0]:loc[1]]
		if first == "" {
			first = u
		}
		b.WriteString(template.HTMLEscapeString(text[last:loc[0]]))
		b.WriteString(`<a href="` + template.HTMLEscapeString(u) + `">` + template.HTMLEscapeString(u) + `</a>`)
		last = loc[1]
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String()), first
}

// Handler serves the outbox page: the list, newest first, or one message
// with ?m=<n>: its plain part with clickable links and its HTML part in a
// sandboxed frame (?m=<n>&part=html, under a CSP of its own that lets
// only its inline styles apply: no script, no remote images).
func (o *Outbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		all := make([]shown, len(o.msgs))
		for i, m := range o.msgs {
			all[len(all)-1-i] = shown{Message: m, N: o.seqs[i]}
		}
		o.mu.Unlock()
		data := struct {
			All []shown
			One *shown
		}{All: all}
		for i := range all {
			all[i].Body, all[i].Link = linkify(all[i].Text)
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if s := r.URL.Query().Get("m"); s != "" {
			n, _ := strconv.Atoi(s)
			for i := range all {
				if all[i].N == n {
					data.One = &all[i]
				}
			}
			if data.One == nil {
				http.NotFound(w, r)
				return
			}
			if r.URL.Query().Get("part") == "html" {
				h.Set("Content-Type", "text/html; charset=utf-8")
				h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; "+
					"sandbox allow-popups allow-top-navigation-by-user-activation")
				// Its links open in the outbox's window, not the frame.
				_, _ = w.Write([]byte(strings.Replace(data.One.HTML, "<head>", `<head><base target="_top">`, 1)))
				return
			}
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-src 'self'; frame-ancestors 'none'")
		_ = outboxPage.Execute(w, data)
	})
}
