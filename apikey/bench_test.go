package apikey

import (
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	kr, err := NewKeyring()
	if err != nil {
		b.Fatal(err)
	}
	tok, err := kr.Issue(Claims{MerchantID: "mer_1", EmployeeID: "emp_1"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	kr, err := NewKeyring()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Issue(Claims{MerchantID: "mer_1"}, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
