package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// CardsStore is what the card-on-file and recurring suites need: the main
// store plus the card, card-update and recurring stores under test.
type CardsStore interface {
	paybridge.Store
	paybridge.CardStore
	paybridge.CardUpdateStore
	paybridge.RecurringStore
}

// RunCards runs the CardStore and CardUpdateStore conformance suite; open
// is as for Run.
func RunCards(t *testing.T, open func(t *testing.T) CardsStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s CardsStore)
	}{
		{"Cards", testCards},
		{"CardsOtherMerchant", testCardsOtherMerchant},
		{"Autopay", testAutopay},
		{"PaymentSource", testPaymentSource},
		{"CardLinks", testCardLinks},
		{"CardLinkClaimConcurrent", testCardLinkClaimConcurrent},
		{"CardIntents", testCardIntents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newCard stores a card of c with its consent.
func newCard(t *testing.T, s CardsStore, c *paybridge.Customer, cloverID string) *paybridge.Card {
	t.Helper()
	card := &paybridge.Card{MerchantID: c.MerchantID, CustomerID: c.ID, Brand: "VISA", Last4: "4242", ExpMonth: "12", ExpYear: "2030",
		CloverCardID: cloverID, CreatedAt: t0,
		Consent: paybridge.CardConsent{Actor: "payer:lnk_x", Text: "Save my card.", ClientIP: "203.0.113.9", RecordedAt: t0}}
	ok(t, s.CreateCard(context.Background(), card))
	return card
}

// testCards: a card keeps its consent; the same Clover card is stored
// once; removal hides it (and the removed card stays gone).
func testCards(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	a := newCard(t, s, c, "CARD_A")
	if !paybridge.HasPrefix(a.ID, paybridge.PrefixCard) {
		t.Fatalf("id %q", a.ID)
	}
	got, err := s.GetCard(ctx, m.ID, a.ID)
	ok(t, err)
	if got.CloverCardID != "CARD_A" || got.Last4 != "4242" || got.ExpYear != "2030" || got.Consent.Text != "Save my card." ||
		got.Consent.Actor != "payer:lnk_x" || got.Consent.ClientIP != "203.0.113.9" || !got.Consent.RecordedAt.Equal(t0) || got.RemovedAt != nil {
		t.Fatalf("card %+v", got)
	}
	dup := &paybridge.Card{MerchantID: m.ID, CustomerID: c.ID, CloverCardID: "CARD_A", Brand: "VISA", Last4: "4242"}
	wantErr(t, s.CreateCard(ctx, dup), paybridge.ECONFLICT, "card_exists")
	b := newCard(t, s, c, "CARD_B")
	list, err := s.ListCards(ctx, m.ID, c.ID)
	ok(t, err)
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("list %+v: want a then b", list)
	}
	ok(t, s.RemoveCard(ctx, m.ID, a.ID, t0.Add(time.Hour)))
	wantErr(t, s.RemoveCard(ctx, m.ID, a.ID, t0.Add(time.Hour)), paybridge.ENOTFOUND, "")
	wantErr(t, firstErr(s.GetCard(ctx, m.ID, a.ID)), paybridge.ENOTFOUND, "")
	list, err = s.ListCards(ctx, m.ID, c.ID)
	ok(t, err)
	if len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("after removal %+v", list)
	}
	if empty, err := s.ListCards(ctx, m.ID, newCustomer(t, s, m).ID); err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("no cards = %v, %v: want an empty list", empty, err)
	}
}

// testCardsOtherMerchant: another merchant sees nothing and can save
// nothing for a customer that is not its own.
func testCardsOtherMerchant(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m, other := newMerchant(t, s), newMerchant(t, s)
	c := newCustomer(t, s, m)
	card := newCard(t, s, c, "CARD_X")
	wantErr(t, firstErr(s.GetCard(ctx, other.ID, card.ID)), paybridge.ENOTFOUND, "")
	wantErr(t, s.RemoveCard(ctx, other.ID, card.ID, t0), paybridge.ENOTFOUND, "")
	bad := &paybridge.Card{MerchantID: other.ID, CustomerID: c.ID, CloverCardID: "CARD_Y", Brand: "VISA", Last4: "1111"}
	wantErr(t, s.CreateCard(ctx, bad), paybridge.ENOTFOUND, "")
	wantErr(t, firstErr(s.GetAutopay(ctx, other.ID, c.ID)), paybridge.ENOTFOUND, "")
	wantErr(t, s.CreateCardLink(ctx, &paybridge.CardLink{MerchantID: other.ID, CustomerID: c.ID, TokenHash: "h-other", ExpiresAt: t0}),
		paybridge.ENOTFOUND, "")
}

// testAutopay: off by default; on needs a live card of the customer;
// removing that card turns it off.
func testAutopay(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c, c2 := newCustomer(t, s, m), newCustomer(t, s, m)
	a, err := s.GetAutopay(ctx, m.ID, c.ID)
	ok(t, err)
	if a.Enabled || a.CardID != "" {
		t.Fatalf("default autopay %+v", a)
	}
	card := newCard(t, s, c, "CARD_AP")
	other := newCard(t, s, c2, "CARD_AP2")
	wantErr(t, s.SetAutopay(ctx, m.ID, &paybridge.Autopay{CustomerID: c.ID, Enabled: true, CardID: other.ID}), paybridge.EINVALID, "")
	wantErr(t, s.SetAutopay(ctx, m.ID, &paybridge.Autopay{CustomerID: c.ID, Enabled: true, CardID: "card_nope"}), paybridge.EINVALID, "")
	ok(t, s.SetAutopay(ctx, m.ID, &paybridge.Autopay{CustomerID: c.ID, Enabled: true, CardID: card.ID}))
	if a, _ = s.GetAutopay(ctx, m.ID, c.ID); !a.Enabled || a.CardID != card.ID {
		t.Fatalf("autopay %+v", a)
	}
	ok(t, s.RemoveCard(ctx, m.ID, card.ID, t0))
	if a, _ = s.GetAutopay(ctx, m.ID, c.ID); a.Enabled || a.CardID != "" {
		t.Fatalf("autopay after its card was removed %+v", a)
	}
}

// testPaymentSource: only a pending payment's source can change.
func testPaymentSource(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := newPayment(t, s, m, inv, 100)
	ok(t, s.SetPaymentSource(ctx, m.ID, p.ID, "CARD_SRC"))
	got, err := s.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	if got.Source != "CARD_SRC" {
		t.Fatalf("source %q", got.Source)
	}
	succeed(t, s, got)
	if err := s.SetPaymentSource(ctx, m.ID, p.ID, "CARD_OTHER"); err == nil {
		t.Fatal("the source of a settled payment changed")
	}
}

// testCardLinks: found by token hash; claimed once; a released claim can
// be taken again; a finished link keeps its card.
func testCardLinks(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	tok, hash := paybridge.NewLinkToken()
	l := &paybridge.CardLink{MerchantID: m.ID, CustomerID: c.ID, TokenHash: hash, ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
	ok(t, s.CreateCardLink(ctx, l))
	if !paybridge.HasPrefix(l.ID, paybridge.PrefixCardLink) {
		t.Fatalf("id %q", l.ID)
	}
	got, err := s.CardLinkByToken(ctx, paybridge.HashLinkToken(tok))
	ok(t, err)
	if got.ID != l.ID || got.CustomerID != c.ID || !got.ExpiresAt.Equal(l.ExpiresAt) || got.UsedAt != nil || !got.Usable(t0) || got.Usable(t0.Add(time.Hour)) {
		t.Fatalf("link %+v", got)
	}
	wantErr(t, firstErr(s.CardLinkByToken(ctx, "nope")), paybridge.ENOTFOUND, "")
	wantErr(t, s.FinishCardLink(ctx, m.ID, l.ID, "card_x"), paybridge.ECONFLICT, "link_not_claimed")
	ok(t, s.ClaimCardLink(ctx, m.ID, l.ID, t0))
	wantErr(t, s.ClaimCardLink(ctx, m.ID, l.ID, t0), paybridge.ECONFLICT, "link_used")
	wantErr(t, s.ClaimCardLink(ctx, newMerchant(t, s).ID, l.ID, t0), paybridge.ENOTFOUND, "")
	ok(t, s.ReleaseCardLink(ctx, m.ID, l.ID))
	ok(t, s.ClaimCardLink(ctx, m.ID, l.ID, t0.Add(time.Minute)))
	card := newCard(t, s, c, "CARD_LINK")
	ok(t, s.FinishCardLink(ctx, m.ID, l.ID, card.ID))
	ok(t, s.ReleaseCardLink(ctx, m.ID, l.ID)) // a finished link stays used
	got, _ = s.CardLinkByToken(ctx, hash)
	if got.UsedAt == nil || !got.UsedAt.Equal(t0.Add(time.Minute)) || got.CardID != card.ID || got.Usable(t0) {
		t.Fatalf("finished link %+v", got)
	}
}

// testCardLinkClaimConcurrent: of many claims at once, one wins.
func testCardLinkClaimConcurrent(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	_, hash := paybridge.NewLinkToken()
	l := &paybridge.CardLink{MerchantID: m.ID, CustomerID: newCustomer(t, s, m).ID, TokenHash: hash, ExpiresAt: t0.Add(time.Hour)}
	ok(t, s.CreateCardLink(ctx, l))
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range n {
		wg.Go(func() {
			err := s.ClaimCardLink(ctx, m.ID, l.ID, t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case paybridge.ErrorCode(err) != "link_used":
				t.Errorf("claim: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of %d concurrent claims won, want 1", won, n)
	}
}

// testCardIntents: a payment's consent is kept once and read back; a
// second save changes nothing.
func testCardIntents(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := newPayment(t, s, m, inv, 100)
	in := &paybridge.CardIntent{PaymentID: p.ID, MerchantID: m.ID, CustomerID: inv.CustomerID, CloverCardID: "CARD_I",
		Consent: paybridge.CardConsent{Actor: "payer:lnk_1", Text: "Keep it.", ClientIP: "198.51.100.7", RecordedAt: t0}}
	ok(t, s.SaveCardIntent(ctx, in))
	again := *in
	again.Consent.Text = "Something else."
	ok(t, s.SaveCardIntent(ctx, &again))
	got, err := s.GetCardIntent(ctx, m.ID, p.ID)
	ok(t, err)
	if got.CloverCardID != "CARD_I" || got.CustomerID != inv.CustomerID || got.Consent.Text != "Keep it." ||
		got.Consent.Actor != "payer:lnk_1" || got.Consent.ClientIP != "198.51.100.7" || !got.Consent.RecordedAt.Equal(t0) {
		t.Fatalf("intent %+v", got)
	}
	wantErr(t, firstErr(s.GetCardIntent(ctx, newMerchant(t, s).ID, p.ID)), paybridge.ENOTFOUND, "")
}
