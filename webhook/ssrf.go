package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
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
	host := u.Hostname()
	if host == "localhost" || len(host) > 10 && host[len(host)-10:] == ".localhost" {
		return ErrForbiddenTarget
	}
	if a, err := netip.ParseAddr(host); err == nil && !Public(a) {
		return ErrForbiddenTarget
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

// blocked are special-purpose ranges the netip predicates leave out.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach private IPv4
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

// dialContext is the DialContext of Dialer.
func dialContext(allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return Dialer(allowPrivate).DialContext
}
