package ratelimit_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/ratelimit"
)

// slow is a policy whose budget does not refill during a test: a burst
// of 3, then one request every 1000 s.
var slow = ratelimit.Policy{Rate: 0.001, Burst: 3}

// spend checks that a limiter lets a burst through, counting down, then
// refuses with a Retry-After, and keeps keys apart.
func spend(t *testing.T, l paybridge.RateLimiter) {
	t.Helper()
	ctx := context.Background()
	for i, want := range []int{2, 1, 0} {
		d, err := l.Allow(ctx, "key_a")
		if err != nil || !d.Allowed || d.Remaining != want || d.Limit != 3 {
			t.Fatalf("request %d: %+v, %v; want allowed with %d left of 3", i+1, d, err, want)
		}
	}
	d, err := l.Allow(ctx, "key_a")
	if err != nil || d.Allowed || d.Remaining != 0 || d.RetryAfter < 990*time.Second || d.RetryAfter > 1000*time.Second {
		t.Fatalf("4th request: %+v, %v; want refused, retry after ~1000 s", d, err)
	}
	if d, _ := l.Allow(ctx, "key_b"); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("another key: %+v, want its own full budget", d)
	}
}

func TestLocal(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewLocal(slow)
	spend(t, l)

	// The budget refills at the rate: one request per interval.
	now := time.Unix(1_800_000_000, 0)
	l = ratelimit.NewLocal(ratelimit.Policy{Rate: 10, Burst: 2})
	l.Now = func() time.Time { return now }
	ctx := context.Background()
	for range 2 {
		if d, _ := l.Allow(ctx, "k"); !d.Allowed {
			t.Fatal("burst refused")
		}
	}
	if d, _ := l.Allow(ctx, "k"); d.Allowed || d.RetryAfter != 100*time.Millisecond {
		t.Fatalf("over the burst: %+v, want refused for 100ms", d)
	}
	now = now.Add(100 * time.Millisecond)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after one interval: %+v, want one allowed", d)
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	url := os.Getenv("PAYBRIDGE_TEST_REDIS_URL")
	if url == "" {
		mr := miniredis.RunT(t)
		url = "redis://" + mr.Addr()
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	t.Cleanup(func() { rc.Close() })
	l := ratelimit.NewRedis(rc, slow)
	l.Prefix = "test:apirate:" + paybridge.NewID("") + ":"
	spend(t, l)

	// Two instances share one budget.
	other := ratelimit.NewRedis(rc, slow)
	other.Prefix = l.Prefix
	if d, _ := other.Allow(context.Background(), "key_b"); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("second instance: %+v, want the budget the first spent from (1 left)", d)
	}

	// Redis down: the local fallback decides, nothing fails.
	dead := ratelimit.NewRedis(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), slow)
	var errs int
	dead.OnError = func(error) { errs++ }
	spend(t, dead)
	if errs == 0 {
		t.Error("OnError not called while Redis was down")
	}
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]ratelimit.Policy{
		"1000/2000": {Rate: 1000, Burst: 2000}, "5": {Rate: 5, Burst: 10}, "0.5/1": {Rate: 0.5, Burst: 1}, "off": {},
	} {
		if got, err := ratelimit.ParsePolicy(s); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1/2", "x", "10/0", "10/x", "Inf"} {
		if _, err := ratelimit.ParsePolicy(s); err == nil {
			t.Errorf("ParsePolicy(%q) accepted", s)
		}
	}
}
