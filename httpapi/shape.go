package httpapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/paybridge/paybridge"
)

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkShape walks the parsed tree against dst's type and reports, with the
// JSON path, the first unknown field or value of the wrong JSON type. Names
// must match json tags exactly (encoding/json alone would also accept other
// cases, which hides typos).
func checkShape(dst any, tree any) error {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("httpapi: Decode needs a non-nil pointer, got %v", t)
	}
	return shape(t.Elem(), tree, "")
}

// patchElem is implemented by paybridge.Patch: the value is checked as its
// element type, and null is always allowed (it clears).
type patchElem interface{ PatchElem() reflect.Type }

var patchElemType = reflect.TypeFor[patchElem]()

func shape(t reflect.Type, v any, path string) error {
	if t.Implements(patchElemType) {
		if v == nil {
			return nil
		}
		return shape(reflect.Zero(t).Interface().(patchElem).PatchElem(), v, path)
	}
	if v == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			return nil
		}
		return typeError(t, v, path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshaler) {
		return nil // the type decides; unmarshalError reports its refusal
	}
	if pt.Implements(textUnmarshaler) {
		if _, ok := v.(string); !ok {
			return typeError(t, v, path)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(object)
		if !ok {
			return typeError(t, v, path)
		}
		fields := structFields(t)
		for _, m := range obj {
			child := joinPath(path, m.name)
			ft, ok := fields[m.name]
			if !ok {
				return &paybridge.Error{Kind: paybridge.EINVALID, Code: "unknown_field", Param: child,
					Message: fmt.Sprintf("Unknown field %q.", child)}
			}
			if err := shape(ft, m.val, child); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, ok := v.(object)
		if !ok {
			return typeError(t, v, path)
		}
		for _, m := range obj {
			if err := shape(t.Elem(), m.val, joinPath(path, m.name)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			if _, ok := v.(string); !ok { // []byte is base64 text
				return typeError(t, v, path)
			}
			return nil
		}
		arr, ok := v.([]any)
		if !ok {
			return typeError(t, v, path)
		}
		if t.Kind() == reflect.Array && len(arr) > t.Len() {
			return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_type", Param: path,
				Message: fmt.Sprintf("%s must have at most %d elements.", fieldName(path), t.Len())}
		}
		for i, e := range arr {
			if err := shape(t.Elem(), e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return typeError(t, v, path)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return typeError(t, v, path)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok || !isIntegerText(string(n)) {
			return typeError(t, v, path)
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			return rangeError(path, t)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok || !isIntegerText(string(n)) {
			return typeError(t, v, path)
		}
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			return rangeError(path, t)
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return typeError(t, v, path)
		}
		if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			return rangeError(path, t)
		}
	case reflect.Interface:
		// any value is fine
	default:
		return fmt.Errorf("httpapi: Decode cannot check a %v field (%s)", t, path)
	}
	return nil
}

// structFields maps each JSON name dst accepts to its type, following
// encoding/json's rules for tags, "-" and embedded structs.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = f.Type
			}
		}
	}
	walk(t)
	return out
}

func isIntegerText(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

// typeError says what was expected and what came, in words a CRM developer
// reads at a glance.
func typeError(t reflect.Type, v any, path string) error {
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_type", Param: path,
		Message: fmt.Sprintf("%s must be %s, got %s.", fieldName(path), want(t, path), got(v))}
}

func rangeError(path string, t reflect.Type) error {
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_type", Param: path,
		Message: fmt.Sprintf("%s is out of range for %s.", fieldName(path), want(t, path))}
}

func want(t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if path == "" {
			return "a JSON object"
		}
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if isAmountPath(path) {
			return "an integer (minor units)"
		}
		if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
			return "a non-negative integer"
		}
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

func isAmountPath(path string) bool {
	last := path[strings.LastIndexAny(path, ".]")+1:]
	return strings.HasSuffix(last, "amount")
}

func got(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		switch {
		case strings.Contains(string(v), "."):
			return "a number with a fraction"
		case strings.ContainsAny(string(v), "eE"):
			return "a number in exponent notation"
		case strings.HasPrefix(string(v), "-"):
			return "a negative number"
		}
		return "a number"
	case object:
		return "an object"
	case []any:
		return "an array"
	}
	return "an unexpected value"
}
