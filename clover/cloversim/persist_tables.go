package cloversim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paybridge/paybridge/clover"
)

// table is one kind of the Sim's durable state. rows renders it as (id,
// value) pairs; load puts one stored row back (rows come back in id order).
// Values are stored as JSON, so a field added to an existing entity is
// persisted with no change here; a new map or slice of state needs one line
// in stateTables (TestPersistRoundTrip fails until it has it).
type table struct {
	kind string
	rows func(yield func(id string, v any))
	load func(id string, body []byte) error
	// reset empties a collection before a load (nil: the value is
	// overwritten by its row, or kept when the file has none).
	reset func()
	// final, when set, reports that a row once saved never changes again
	// (an appended ledger entry, a completed idempotency record): commit
	// does not render it again. The biggest, fastest-growing kinds are
	// such, which keeps a commit's cost near the size of what changed.
	final func(v any) bool
}

// stateTables lists everything a restarted Sim must find again. Not here,
// on purpose: the rate limiter's windows, the fault dice, the faults and
// the refresh rules (configuration, given again on each start), the webhook
// queue and delivery log (in flight when the process died: lost, as a
// crashed sender's would be).
func (s *Sim) stateTables() []table {
	h := s.ext.hooks
	return []table{
		funcTable("identity", s.identity, s.setIdentity),
		valueTable("app", &s.app),
		valueTable("clock", &s.clockOffset),
		valueTable("started", &s.ecom.started),
		funcTable("webhooks", h.settings, h.setSettings),
		mapTable("merchant", &s.merchants),
		merchantMap("customer", s, func(m *merchant) *map[string]*clover.Customer { return &m.Customers }),
		merchantMap("card", s, func(m *merchant) *map[string]*savedCard { return &m.Cards }),
		merchantMap("charge", s, func(m *merchant) *map[string]*clover.Charge { return &m.Charges }),
		merchantMap("order", s, func(m *merchant) *map[string]*clover.Order { return &m.Orders }),
		merchantMap("refund", s, func(m *merchant) *map[string]*clover.Refund { return &m.Refunds }),
		merchantMap("return", s, func(m *merchant) *map[string]*clover.OrderReturn { return &m.Returns }),
		merchantList("charge_order", s, func(m *merchant) *[]string { return &m.ChargeOrder }),
		mapTable("grant", &s.grants),
		mapTable("pakms", &s.pakms),
		finalWhen(mapTable("card_token", &s.tokens), func(v any) bool { return v.(*cardToken).Used }), // single use
		listTable("ledger", &s.ledger),
		finalWhen(mapTable("idempotency", &s.idem), func(v any) bool { return !v.(*idemEntry).InFlight }),
		mapTable("charge_meta", &s.ecom.charges),
		mapTable("order_meta", &s.ecom.orders),
		mapTable("refund_order", &s.ecom.refundOrder),
		mapTable("oauth_code", &s.ext.codes),
		mapTable("oauth_refresh", &s.ext.refresh),
		mapTable("oauth_owner", &s.ext.owners),
		mapTable("oauth_issued", &s.ext.issued),
		mapTable("plan", &s.ext.plans),
		mapTable("subscription", &s.ext.subs),
		listTable("subscription_order", &s.ext.subOrder),
		mapTable("declined_card", &s.ext.declined),
		mapTable("checkout", &s.ext.checkouts),
	}
}

// valueTable is one value stored as the single row "".
func valueTable[V any](kind string, p *V) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) { yield("", p) },
		load: func(_ string, b []byte) error { return json.Unmarshal(b, p) },
	}
}

// funcTable is one value read and written through functions, for state
// kept in fields of several structs.
func funcTable[V any](kind string, get func() V, set func(V)) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) { yield("", get()) },
		load: func(_ string, b []byte) error {
			var v V
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			set(v)
			return nil
		},
	}
}

// mapTable stores a map, one row per key.
func mapTable[V any](kind string, m *map[string]V) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) {
			for id, v := range *m {
				yield(id, v)
			}
		},
		load: func(id string, b []byte) error {
			var v V
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			if *m == nil {
				*m = map[string]V{}
			}
			(*m)[id] = v
			return nil
		},
		reset: func() { *m = map[string]V{} },
	}
}

// listTable stores a slice, one row per element keyed by its zero-padded
// index, so an append writes one row.
func listTable[V any](kind string, l *[]V) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) {
			for i, v := range *l {
				yield(listID(i), v)
			}
		},
		load: func(_ string, b []byte) error {
			var v V
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			*l = append(*l, v)
			return nil
		},
		reset: func() { *l = nil },
		final: func(any) bool { return true }, // elements are only ever appended
	}
}

// finalWhen marks t's rows for which final holds as never changing again.
func finalWhen(t table, final func(v any) bool) table {
	t.final = final
	return t
}

func listID(i int) string { return fmt.Sprintf("%010d", i) }

// merchantMap stores one of every merchant's maps, keyed "<mid>/<key>";
// the merchant rows (which leave these maps out) load first.
func merchantMap[V any](kind string, s *Sim, field func(*merchant) *map[string]V) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) {
			for mid, m := range s.merchants {
				for id, v := range *field(m) {
					yield(mid+"/"+id, v)
				}
			}
		},
		load: func(id string, b []byte) error {
			m, key, err := s.rowMerchant(id)
			if err != nil {
				return err
			}
			var v V
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			f := field(m)
			if *f == nil {
				*f = map[string]V{}
			}
			(*f)[key] = v
			return nil
		},
	}
}

// merchantList stores one of every merchant's slices, keyed
// "<mid>/<index>".
func merchantList[V any](kind string, s *Sim, field func(*merchant) *[]V) table {
	return table{kind: kind,
		rows: func(yield func(string, any)) {
			for mid, m := range s.merchants {
				for i, v := range *field(m) {
					yield(mid+"/"+listID(i), v)
				}
			}
		},
		load: func(id string, b []byte) error {
			m, _, err := s.rowMerchant(id)
			if err != nil {
				return err
			}
			var v V
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			*field(m) = append(*field(m), v)
			return nil
		},
		final: func(any) bool { return true }, // elements are only ever appended
	}
}

func (s *Sim) rowMerchant(id string) (*merchant, string, error) {
	mid, key, ok := strings.Cut(id, "/")
	m := s.merchants[mid]
	if !ok || m == nil {
		return nil, "", fmt.Errorf("row %q: no merchant %q", id, mid)
	}
	return m, key, nil
}

// identity is the part of Options a restarted Sim keeps: who the app and
// the first merchant are, and the secrets clients were given.
type identity struct {
	AppID, ClientID, ClientSecret string
	MerchantID, MerchantName      string
	AccessToken, PAKMSKey         string
	WebhookAuthCode               string
	HCOSigningSecret              string
}

func (s *Sim) identity() identity {
	o := &s.opts
	return identity{AppID: o.AppID, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		MerchantID: o.MerchantID, MerchantName: o.MerchantName, AccessToken: o.AccessToken, PAKMSKey: o.PAKMSKey,
		WebhookAuthCode: o.WebhookAuthCode, HCOSigningSecret: o.HCOSigningSecret}
}

func (s *Sim) setIdentity(id identity) {
	o := &s.opts
	o.AppID, o.ClientID, o.ClientSecret = id.AppID, id.ClientID, id.ClientSecret
	o.MerchantID, o.MerchantName, o.AccessToken, o.PAKMSKey = id.MerchantID, id.MerchantName, id.AccessToken, id.PAKMSKey
	o.WebhookAuthCode, o.HCOSigningSecret = id.WebhookAuthCode, id.HCOSigningSecret
}

// whSettings is the webhook configuration (PUT /_sim/webhooks).
type whSettings struct {
	URL, AuthCode, CheckoutURL string
	// CheckoutCasing is "pascal" or "camel" (hosted-checkout webhook keys).
	CheckoutCasing string
}

func (h *whHub) settings() whSettings {
	h.mu.Lock()
	defer h.mu.Unlock()
	return whSettings{URL: h.url, AuthCode: h.authCode, CheckoutURL: h.checkoutURL, CheckoutCasing: h.checkoutCasing}
}

func (h *whHub) setSettings(w whSettings) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.url, h.authCode, h.checkoutURL, h.checkoutCasing = w.URL, w.AuthCode, w.CheckoutURL, w.CheckoutCasing
}
