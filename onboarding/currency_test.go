package onboarding

import "testing"

func TestParseCurrencies(t *testing.T) {
	t.Parallel()
	c, err := ParseCurrencies("", " CANADA0000001=CAD , MEXICO0000001=mxn")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"CANADA0000001": "cad", "MEXICO0000001": "mxn", "OTHER00000001": "usd"} {
		if got := c.Of(id); got != want {
			t.Errorf("Of(%s) = %q, want %q", id, got, want)
		}
	}
	if c, err := ParseCurrencies("cad", ""); err != nil || c.Of("ANY0000000001") != "cad" {
		t.Errorf("default cad: %v, %v", c, err)
	}
	if (Currencies{}).Of("X") != "usd" {
		t.Error("zero Currencies is not usd")
	}
	for _, bad := range [][2]string{{"dollars", ""}, {"", "CANADA0000001"}, {"", "short=cad"}, {"", "CANADA0000001=xyz"},
		{"", "CANADA0000001=cad,CANADA0000001=usd"}} {
		if _, err := ParseCurrencies(bad[0], bad[1]); err == nil {
			t.Errorf("ParseCurrencies(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
