package httpapi

import (
	"fmt"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// specDoc is the embedded spec, parsed once. The API's own checks read it
// (which query parameters an operation takes), so what the spec says and
// what the server accepts cannot drift apart.
var specDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("httpapi: the embedded openapi.yaml does not parse: %w", err)
	}
	return doc, nil
})

// specQueries maps "METHOD /path" to the query parameters the spec
// declares for it.
var specQueries = sync.OnceValue(func() map[string]queryNames {
	doc, err := specDoc()
	if err != nil {
		panic(err) // embedded and tested: a broken spec is a build defect
	}
	out := map[string]queryNames{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			names := queryNames{}
			for _, ps := range [2]openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, ref := range ps {
					addQueryName(names, ref.Value)
				}
			}
			out[method+" "+path] = names
		}
	}
	return out
})

func addQueryName(names queryNames, p *openapi3.Parameter) {
	if p == nil || p.In != openapi3.ParameterInQuery {
		return
	}
	var s *openapi3.Schema
	if p.Schema != nil {
		s = p.Schema.Value
	}
	switch {
	case s == nil:
		names[p.Name] = nil
	case p.Style == openapi3.SerializationDeepObject:
		for prop, ps := range s.Properties {
			names[p.Name+"["+prop+"]"] = ps.Value
		}
	case s.Type.Is(openapi3.TypeArray) && s.Items != nil:
		names[p.Name] = s.Items.Value // each repeated value is one item
	default:
		names[p.Name] = s
	}
}

// queryNamesFor returns the query parameters pattern may carry: those the
// spec declares for a /v1 route (none when the spec lacks the route, which
// TestSpecDocumentsEveryAPIRoute refuses), or nil, meaning unchecked, for
// the routes outside /v1 (pages, webhooks from Clover, health checks).
func queryNamesFor(pattern string) (queryNames, bool) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !strings.HasPrefix(path, "/v1/") {
		return nil, false
	}
	names := specQueries()[method+" "+path]
	if names == nil {
		names = queryNames{}
	}
	return names, true
}
