package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// CardLinkTTL is how long an update-card link stays usable: a dunning
// schedule's length with room to spare.
const CardLinkTTL = 14 * 24 * time.Hour

// cardStores are the stores the update-card page needs beyond Store.
func (s *Server) cardStores() (paybridge.CardUpdateStore, paybridge.CardStore, error) {
	us, ok1 := s.Store.(paybridge.CardUpdateStore)
	cs, ok2 := s.Store.(paybridge.CardStore)
	if !ok1 || !ok2 {
		return nil, nil, paybridge.Errorf(paybridge.EINTERNAL, "", "the store keeps no cards")
	}
	return us, cs, nil
}

// CreateCardLink makes a single-use update-card link for a customer of the
// caller's merchant and returns its URL (the only time the token exists
// outside the customer's mailbox). The failure mail carries it.
func (s *Server) CreateCardLink(ctx context.Context, c billing.Caller, customerID string) (string, *paybridge.CardLink, error) {
	us, _, err := s.cardStores()
	if err != nil {
		return "", nil, err
	}
	token, hash := paybridge.NewLinkToken()
	now := s.Now().UTC()
	l := &paybridge.CardLink{MerchantID: c.MerchantID, CustomerID: customerID, TokenHash: hash, ExpiresAt: now.Add(CardLinkTTL), CreatedAt: now}
	if err := us.CreateCardLink(ctx, l); err != nil {
		return "", nil, err
	}
	return strings.TrimRight(s.PublicURL, "/") + "/card/" + token, l, nil
}

// RegisterCardPages adds the update-card page, with the pay page's
// headers (CSP, no framing, no-store), rate limits and CSRF rules:
//
//	GET  /card/{token}   the form (Clover's iframe fields + consent), or "saved"
//	POST /card/{token}   save the card (CSRF-checked, rate-limited, single use)
func (s *Server) RegisterCardPages(r Registrar) {
	if s.assets == nil {
		s.init()
	}
	cop := http.NewCrossOriginProtection()
	r.HandlePublic("GET /card/{token}", s.page(http.HandlerFunc(s.getCard)))
	r.HandlePublic("POST /card/{token}", s.page(cop.Handler(http.HandlerFunc(s.postCard))))
}

// cardCtx is a resolved update-card link with its merchant and customer.
type cardCtx struct {
	token string
	link  *paybridge.CardLink
	mer   *paybridge.Merchant
	cu    *paybridge.Customer
}

// resolveCard finds the link of the request's token; nil (the page
// written) when it is unknown or expired. A used link resolves, so its
// page can say what it saved.
func (s *Server) resolveCard(w http.ResponseWriter, r *http.Request, locale string) *cardCtx {
	us, _, err := s.cardStores()
	token := r.PathValue("token")
	var l *paybridge.CardLink
	if err == nil && len(token) == 22 {
		l, err = us.CardLinkByToken(r.Context(), paybridge.HashLinkToken(token))
	}
	if l == nil || err != nil || (l.UsedAt == nil && !l.Usable(s.Now())) {
		if err != nil && !isKind(err, paybridge.ENOTFOUND) {
			s.Logger.Error("update-card page: find link", "err", err)
		}
		s.renderCard(w, http.StatusNotFound, &cardView{Kind: "notice", Locale: locale, Title: "uc_nf_title", Text: "uc_nf_text"})
		return nil
	}
	cc := &cardCtx{token: token, link: l}
	if cc.mer, err = s.Store.GetMerchant(r.Context(), l.MerchantID); err == nil {
		cc.cu, err = s.Store.GetCustomer(r.Context(), l.MerchantID, l.CustomerID)
	}
	if err != nil {
		s.Logger.Error("update-card page: load customer", "link_id", l.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil
	}
	return cc
}

func (s *Server) getCard(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	if cc := s.resolveCard(w, r, locale); cc != nil {
		s.showCard(w, r, cc, locale, "")
	}
}

// showCard renders the link's state: "saved" once it saved a card, "used"
// while a save is under way, else a fresh form.
func (s *Server) showCard(w http.ResponseWriter, r *http.Request, cc *cardCtx, locale, errMsg string) {
	ctx := r.Context()
	_, cs, _ := s.cardStores()
	v := &cardView{Locale: locale, Merchant: cc.mer.Name, Token: cc.token, Error: errMsg}
	if cc.link.UsedAt != nil {
		if cc.link.CardID == "" {
			s.renderCard(w, http.StatusConflict, &cardView{Kind: "notice", Locale: locale, Title: "uc_used_title", Text: "uc_used_text"})
			return
		}
		v.Kind = "done"
		if card, err := cs.GetCard(ctx, cc.mer.ID, cc.link.CardID); err == nil {
			v.Current = cardLabel(card)
		}
		s.renderCard(w, http.StatusOK, v)
		return
	}
	if cards, err := cs.ListCards(ctx, cc.mer.ID, cc.cu.ID); err == nil && len(cards) > 0 {
		v.Current = cardLabel(cards[len(cards)-1])
	}
	v.Kind = "form"
	v.Attempt = newAttemptKey()
	v.CSRF = s.csrfToken(cc.link.ID, v.Attempt, s.Now())
	v.PAKMS, v.CloverMID = cc.mer.PAKMSKey, cc.mer.CloverMerchantID
	v.Consent = consentText(locale, cc.mer.Name)
	s.renderCard(w, http.StatusOK, v)
}

// cardLabel is how a card is shown: brand and last four digits only.
func cardLabel(c *paybridge.Card) string {
	return strings.TrimSpace(c.Brand + " •••• " + c.Last4)
}

// postCard saves the submitted card: CSRF and rate limits first, then the
// consent checkbox, then the link's single-use claim (so two submits save
// one card), then billing's SaveCard with the consent text exactly as the
// page showed it. A definite refusal (a decline) releases the claim so the
// customer can try another card. Saving a card resumes the customer's
// deactivated subscriptions and retries their open invoices (billing's
// OnCardSaved).
func (s *Server) postCard(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	cc := s.resolveCard(w, r, locale)
	if cc == nil {
		return
	}
	if !readForm(w, r) {
		return
	}
	f := r.PostForm
	ok, expired := s.csrfOK(f.Get("csrf"), cc.link.ID, f.Get("attempt"))
	switch {
	case expired:
		s.showCard(w, r, cc, locale, msg(locale, "err_expired_form"))
		return
	case !ok:
		s.renderCard(w, http.StatusForbidden, &cardView{Kind: "notice", Locale: locale, Title: "forbidden", Text: "forbidden"})
		return
	case cc.link.UsedAt != nil:
		s.redirectCard(w, r, cc, locale)
		return
	case !s.linkLimit.allow(cc.link.ID):
		s.showCard(w, r, cc, locale, msg(locale, "err_busy"))
		return
	}
	token := strings.TrimSpace(f.Get("token"))
	if !strings.HasPrefix(token, "clv_") || len(token) > 100 {
		s.showCard(w, r, cc, locale, msg(locale, "err_card"))
		return
	}
	if f.Get("consent") != "yes" {
		s.showCard(w, r, cc, locale, cardMsg(locale, "uc_consent_req"))
		return
	}
	us, _, _ := s.cardStores()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	if err := us.ClaimCardLink(ctx, cc.mer.ID, cc.link.ID, s.Now()); err != nil {
		if !isKind(err, paybridge.ECONFLICT) {
			s.Logger.Error("update-card page: claim link", "link_id", cc.link.ID, "err", err)
		}
		s.redirectCard(w, r, cc, locale)
		return
	}
	caller := billing.Caller{MerchantID: cc.mer.ID, Actor: "customer:" + cc.cu.ID + " (card link " + cc.link.ID + ")", ClientIP: clientIP(r)}
	card, err := s.Service.SaveCard(ctx, caller, cc.cu.ID, billing.CardInput{Source: token, ConsentText: consentText(locale, cc.mer.Name)})
	if err != nil {
		if rerr := us.ReleaseCardLink(ctx, cc.mer.ID, cc.link.ID); rerr != nil {
			s.Logger.Error("update-card page: release link", "link_id", cc.link.ID, "err", rerr)
		}
		if isKind(err, paybridge.EINTERNAL) {
			s.Logger.Error("update-card page: save card", "link_id", cc.link.ID, "err", err)
		}
		cc.link.UsedAt = nil
		s.showCard(w, r, cc, locale, msg(locale, refusalKey(paybridge.ErrorCode(err))))
		return
	}
	if err := us.FinishCardLink(ctx, cc.mer.ID, cc.link.ID, card.ID); err != nil {
		s.Logger.Error("update-card page: finish link", "link_id", cc.link.ID, "err", err)
	}
	s.redirectCard(w, r, cc, locale)
}

// redirectCard sends the browser back to the link's page (post/redirect/get).
func (s *Server) redirectCard(w http.ResponseWriter, r *http.Request, cc *cardCtx, locale string) {
	http.Redirect(w, r, "/card/"+url.PathEscape(cc.token)+"?lang="+locale, http.StatusSeeOther)
}
