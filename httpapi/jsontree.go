package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/paybridge/paybridge"
)

// maxDepth bounds nesting so a hostile body cannot drive deep recursion.
const maxDepth = 64

// member is one name/value pair of a JSON object, kept in document order so
// the first error reported is the first one in the body.
type member struct {
	name string
	val  any
}

// object is a parsed JSON object; arrays are []any, numbers json.Number.
type object []member

// parseTree parses body into a tree while checking what encoding/json lets
// through: duplicate names, trailing data, nesting, and raw card numbers in
// any name, string or number (reported with the path, never the digits).
func parseTree(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p := &treeParser{dec: dec, size: len(body)}
	v, err := p.value("", 0)
	if err != nil {
		var pe *paybridge.Error
		if !errors.As(err, &pe) && ContainsCardNumber(string(body)) {
			return nil, rawCardError("")
		}
		return nil, p.syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &paybridge.Error{Kind: paybridge.EINVALID, Code: "trailing_data",
			Message: fmt.Sprintf("Request body has data after the JSON value (near byte %d); send exactly one JSON object.", dec.InputOffset())}
	}
	return v, nil
}

type treeParser struct {
	dec  *json.Decoder
	size int
}

func (p *treeParser) value(path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &paybridge.Error{Kind: paybridge.EINVALID, Code: "malformed_json", Param: path,
			Message: fmt.Sprintf("Request body nests deeper than %d levels.", maxDepth)}
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return p.object(path, depth)
		}
		if t == '[' {
			return p.array(path, depth)
		}
		return nil, &json.SyntaxError{Offset: p.dec.InputOffset()}
	case string:
		if ContainsCardNumber(t) {
			return nil, rawCardError(path)
		}
		return t, nil
	case json.Number:
		if ContainsCardNumber(string(t)) {
			return nil, rawCardError(path)
		}
		return t, nil
	default: // bool or nil
		return t, nil
	}
}

func (p *treeParser) object(path string, depth int) (any, error) {
	obj := object{}
	seen := map[string]bool{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		child := joinPath(path, name)
		if ContainsCardNumber(name) {
			return nil, rawCardError(path)
		}
		if seen[name] {
			return nil, &paybridge.Error{Kind: paybridge.EINVALID, Code: "duplicate_field", Param: child,
				Message: fmt.Sprintf("Field %q appears more than once.", child)}
		}
		seen[name] = true
		v, err := p.value(child, depth+1)
		if err != nil {
			return nil, err
		}
		obj = append(obj, member{name, v})
	}
	if _, err := p.dec.Token(); err != nil { // '}'
		return nil, err
	}
	return obj, nil
}

func (p *treeParser) array(path string, depth int) (any, error) {
	arr := []any{}
	for i := 0; p.dec.More(); i++ {
		v, err := p.value(path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	if _, err := p.dec.Token(); err != nil { // ']'
		return nil, err
	}
	return arr, nil
}

// syntaxError turns a decoder failure into a malformed_json error naming the
// byte offset (without quoting the body, which may hold anything).
func (p *treeParser) syntaxError(err error) error {
	var pe *paybridge.Error
	if errors.As(err, &pe) {
		return pe
	}
	var se *json.SyntaxError
	off := p.dec.InputOffset()
	msg := "invalid JSON"
	switch {
	case errors.As(err, &se):
		off = se.Offset
		if se.Error() != "" {
			msg = se.Error()
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(p.size)
		msg = "unexpected end of JSON input"
	}
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "malformed_json",
		Message: fmt.Sprintf("Request body is not valid JSON: %s (at byte %d).", msg, off)}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func rawCardError(path string) error {
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "raw_card_data", Param: path,
		Message: "The request contains what looks like a card number. Card numbers must never be sent to paybridge: tokenize the card with Clover's iframe and send the clv_ token."}
}
