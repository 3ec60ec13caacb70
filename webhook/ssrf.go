package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenTarget is a URL or connection to an address paybridge must
// not reach on a tenant's behalf (loopback, private, link-local, …).
var ErrForbiddenTarget = errors.New("webhook: endpoint address is private, loopback or otherwise not public")

// CheckURL validates an endpoint URL: absolute http(s), a host, and, unless
// allowPrivate (sandbox mode), https and a host that is not a literal
// private address. Names are checked again at connect time (Dialer), which
// is what stops DNS rebinding.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("url must be an absolute http(s) URL")
	}
	if u.User != nil {
		return errors.New("url must not carry credentials")
	}
	if allowPrivate {
		return nil
	}
	if u.Scheme != "https" {
		return errors.New("url must use https")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ErrForbiddenTarget
	}
	if a, err := netip.ParseAddr(host); err == nil && !Public(a) {
		return ErrForbiddenTarget
	}
	return nil
}

// Resolver looks host names up (net.DefaultResolver in production, a
// fixed table in tests).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckHost resolves the host of an endpoint URL (already accepted by
// CheckURL) and refuses it when any address it resolves to is not public:
// a name pointing at 127.0.0.1 or 10.0.0.1 is refused when the endpoint is
// created, not only when a delivery would connect. A name that does not
// resolve now is accepted (DNS may not be set up yet); Dialer checks every
// address again at each delivery, which is what stops DNS rebinding.
func CheckHost(ctx context.Context, raw string, r Resolver) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("url must be an absolute http(s) URL")
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		if !Public(a) {
			return ErrForbiddenTarget
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !Public(a) {
			return ErrForbiddenTarget
		}
	}
	return nil
}

// Public reports whether a is a globally routable unicast address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// blocked are special-purpose ranges the netip predicates leave out (IANA's
// special-purpose registries), above all the IPv6 transition ranges, whose
// addresses carry an IPv4 address a relay or translator would reach for
// us: 6to4 2002:0a00:0001:: is 10.0.0.1, Teredo and NAT64 likewise.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can reach private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments, Teredo 2001::/32 among them
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // SRv6 SIDs
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// DefaultPorts are the ports an endpoint URL may name outside sandbox mode
// unless configured otherwise: a tenant must not make paybridge talk to
// whatever else listens on a public host (SMTP, Redis, an admin port).
var DefaultPorts = []int{443, 80}

// CheckPort refuses an endpoint URL whose port (explicit, or its scheme's)
// is not in ports (DefaultPorts when nil).
func CheckPort(raw string, ports []int) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("url must be an absolute http(s) URL")
	}
	if ports == nil {
		ports = DefaultPorts
	}
	p := u.Port()
	if p == "" {
		p = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	for _, ok := range ports {
		if p == strconv.Itoa(ok) {
			return nil
		}
	}
	return fmt.Errorf("url port %s is not allowed (allowed: %v)", p, ports)
}

// Dialer returns a dialer that refuses non-public addresses after DNS
// resolution (unless allowPrivate), so a name that resolves to 127.0.0.1
// or 169.254.169.254 is refused too.
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{}
	if allowPrivate {
		return d
	}
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dial %q: %w", address, err)
		}
		if !Public(ap.Addr()) {
			return ErrForbiddenTarget
		}
		return nil
	}
	return d
}
