package cloversim

func (s *Sim) registerSDK() {}
