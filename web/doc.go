// Package web is the customer-facing pay page (DESIGN.md §7): /pay/{link}
// with Clover's iframe card fields (or a redirect to Clover Hosted
// Checkout), receipts, payment-link and receipt emails, and the signed
// hosted-checkout webhook. Pages are server-rendered from embedded
// templates with one tiny vanilla script, under a strict CSP with SRI;
// SCRIPT_INVENTORY.md lists every script the page may load (PCI DSS 6.4.3)
// and a browser test fails on any other (11.6.1).
package web
