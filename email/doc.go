// Package email sends paybridge's customer mail (payment links and
// receipts). Sender is the seam: SMTP delivers through a real server with
// go-mail; Outbox keeps messages in memory and shows them on a page, which
// is what sandbox mode uses so a newcomer can see the mail paybridge sends.
package email
