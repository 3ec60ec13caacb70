package billing

import (
	"cmp"
	"net/netip"

	"github.com/paybridge/paybridge"
)

// Clover refuses a charge or an order pay without x-forwarded-for, the
// customer's IP address (CLOVER.md §13.1), and the clover client refuses
// to send one without it. Which address a payment sends is decided once,
// when its row is created, and persisted with it (Payment.ClientIP), so
// the reconciler repeats the identical request:
//
//   - a customer-initiated payment sends the payer's address: the pay
//     page's client, or the client_ip the CRM passes on the API;
//   - a merchant-initiated charge of a saved card (autopay, dunning, the
//     API's card_id without client_ip) sends the address recorded with
//     the card's consent, when it was saved by the customer;
//   - anything else (the API without client_ip, cards saved without an
//     address) sends the server's own address, Service.ServerIP.
//
// What Clover wants for merchant-initiated charges is UNCONFIRMED (§13.1);
// this is the reading CLOVER.md gives.

// payerAddress is the x-forwarded-for of a new payment made by c, with
// card the saved card it charges (nil for none).
func (s *Service) payerAddress(c Caller, card *paybridge.Card) string {
	if card != nil {
		return cmp.Or(c.ClientIP, card.Consent.ClientIP, s.ServerIP)
	}
	return cmp.Or(c.ClientIP, s.ServerIP)
}

// forwardedFor is the address a persisted payment's Clover calls send:
// the one recorded with it, else (a row recorded before every payment had
// one) the server's.
func (s *Service) forwardedFor(p *paybridge.Payment) string {
	return cmp.Or(p.ClientIP, s.ServerIP)
}

// withClientIP is c paying for a customer whose address the CRM passed
// (client_ip on the API), checked as an IP address.
func withClientIP(c Caller, ip string) (Caller, error) {
	if ip == "" {
		return c, nil
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return c, invalid("client_ip", "invalid_client_ip", "client_ip must be the paying customer's IP address, e.g. \"203.0.113.7\"")
	}
	c.ClientIP = a.String()
	return c, nil
}
