package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/paybridge/paybridge"
)

// MaxBodyBytes is the largest request body accepted (64 KiB): far above any
// real invoice, small enough that a hostile body costs nothing.
const MaxBodyBytes = 64 << 10

// Validator is implemented by request types that check their own values
// (amounts with paybridge.ValidateAmount, currencies with
// paybridge.ValidCurrency, …). Decode calls it after decoding and returns its
// error, so a handler sees only a request that passed.
type Validator interface {
	Validate() error
}

// Decode reads r's JSON body into dst, refusing anything imprecise. Every
// failure is a *paybridge.Error with Code and Param, of kind EINVALID (400)
// except the first:
//
//   - unsupported_media_type (415): Content-Type is not application/json;
//   - body_too_large: more than MaxBodyBytes;
//   - empty_body; invalid_utf8 (not UTF-8, or a lone \uD800-style
//     surrogate escape, which encoding/json would store as U+FFFD);
//     malformed_json (message names the byte offset);
//     trailing_data after the object; duplicate_field;
//   - raw_card_data: a card number anywhere (name, string or number), param
//     the path; checked before dst is touched, and the digits never appear
//     in the message;
//   - unknown_field: param the path, e.g. line_items[0].colour;
//   - invalid_type: param the path, e.g. "amount must be an integer (minor
//     units), got a number with a fraction";
//   - whatever dst's Validate method returns, if it has one.
//
// dst is left untouched unless the body passes every structural check.
// The body is never logged.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, false)
}

// DecodeOptional is Decode for endpoints whose body may be absent (e.g.
// capture with an optional amount): an empty body decodes as {}.
func DecodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, true)
}

func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return validate(dst)
		}
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "empty_body",
			Message: "Request body is empty; send a JSON object."}
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	return DecodeBytes(body, dst)
}

// DecodeBytes applies Decode's checks to a body already read.
func DecodeBytes(body []byte, dst any) error {
	if len(body) > MaxBodyBytes {
		return bodyTooLarge()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "empty_body",
			Message: "Request body is empty; send a JSON object."}
	}
	if err := checkUTF8(body); err != nil {
		return err
	}
	tree, err := parseTree(body)
	if err != nil {
		return err
	}
	if err := checkShape(dst, tree); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return unmarshalError(err)
	}
	return validate(dst)
}

func validate(dst any) error {
	if v, ok := dst.(Validator); ok {
		return v.Validate()
	}
	return nil
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, bodyTooLarge()
	}
	if err != nil {
		return nil, &paybridge.Error{Kind: paybridge.EINVALID, Code: "malformed_body",
			Message: "Request body could not be read completely."}
	}
	return body, nil
}

func bodyTooLarge() error {
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "body_too_large",
		Message: fmt.Sprintf("Request body is larger than %d bytes.", MaxBodyBytes)}
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		if cs, ok := params["charset"]; !ok || cs == "utf-8" || cs == "UTF-8" {
			return nil
		}
	}
	return &paybridge.Error{Kind: paybridge.EMEDIATYPE, Code: "unsupported_media_type", Param: "Content-Type",
		Message: "Content-Type must be application/json."}
}

// unmarshalError maps what encoding/json still finds after checkShape (a
// value a type's own UnmarshalJSON/UnmarshalText refuses, e.g. a bad
// timestamp) to an invalid_type or invalid_value error.
func unmarshalError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_type", Param: ute.Field,
			Message: fmt.Sprintf("%s must be %s, got a %s.", fieldName(ute.Field), ute.Type.String(), ute.Value)}
	}
	var pe *paybridge.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_value",
		Message: "A value in the request body has an invalid format."}
}

func fieldName(path string) string {
	if path == "" {
		return "request body"
	}
	return path
}
