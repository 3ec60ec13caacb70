package cloversim

// STUB: shrinking as the real files land; deleted when all exist.

type hcoSession struct{}

func (s *Sim) registerCheckout() {}
func (s *Sim) registerSDK()      {}
