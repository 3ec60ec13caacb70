package clover_test

import (
	"testing"

	"github.com/paybridge/paybridge/clover"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"X6DSQ9TQ1MEW1": true, "HANDMADE00001": true,
		"": false, "X6DSQ9TQ1MEW": false, "X6DSQ9TQ1MEW12": false, "x6dsq9tq1mew1": false,
		"X6DSQ9TQ1MEW\n": false, "X6DSQ9TQ1MEÉ": false, "X6DSQ-TQ1MEW1": false,
	} {
		if got := clover.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}
