package cloversim

// STUB until the OAuth/recurring/checkout/sdk/webhooks helper lands: delete
// this file then.

type extState struct{}

func (s *Sim) initExt()           {}
func (s *Sim) registerOAuth()     {}
func (s *Sim) registerRecurring() {}
func (s *Sim) registerCheckout()  {}
func (s *Sim) registerSDK()       {}

// notify queues a platform webhook event (objectID like "P:ABC…", typ
// CREATE|UPDATE|DELETE) for merchant mid. It may be called with s.mu held
// and never blocks: delivery happens on another goroutine.
func (s *Sim) notify(mid, objectID, typ string) {}
