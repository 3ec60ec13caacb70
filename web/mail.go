package web

import (
	"bytes"
	"strings"
	texttemplate "text/template"

	"github.com/paybridge/paybridge/email"
)

// The mails are rendered from the same view as the page, in the page's
// language: a text part every client can show and an HTML alternative.
var (
	textMail = texttemplate.Must(texttemplate.New("mail").ParseFS(templateFS, "templates/mail.txt"))
)

// renderMail renders the text (templates/mail.txt) and HTML
// (templates/mail.html) parts of a mail; name is the template of both.
func renderMail(name string, v *view) (email.Message, error) {
	var t, h bytes.Buffer
	if err := textMail.ExecuteTemplate(&t, name, v); err != nil {
		return email.Message{}, err
	}
	if err := tmpl.ExecuteTemplate(&h, name, v); err != nil {
		return email.Message{}, err
	}
	return email.Message{Text: strings.TrimSpace(t.String()) + "\n", HTML: h.String()}, nil
}
