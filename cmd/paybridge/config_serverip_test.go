package main

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

// TestServerIPConfig: outside sandbox mode paybridge refuses to start
// without PAYBRIDGE_SERVER_IP (or with one that is no IP address), with an
// error that names it; sandbox mode defaults it to 127.0.0.1.
func TestServerIPConfig(t *testing.T) {
	t.Parallel()
	prod := func(ip string) Config {
		c, err := loadConfig(map[string]string{"PAYBRIDGE_CLOVER_APP_ID": "APP0000000001", "PAYBRIDGE_SERVER_IP": ip,
			"PAYBRIDGE_MASTER_KEY": base64.StdEncoding.EncodeToString(make([]byte, 32))})
		if err != nil {
			t.Fatal(err)
		}
		c.Addr, c.DataDir = "127.0.0.1:0", t.TempDir()
		return c
	}
	for _, ip := range []string{"", "server.example.com"} {
		m := &Main{Config: prod(ip)}
		err := m.Run(context.Background())
		if err == nil {
			m.Close()
			t.Fatalf("PAYBRIDGE_SERVER_IP=%q: Run started", ip)
		}
		if !strings.Contains(err.Error(), "PAYBRIDGE_SERVER_IP") {
			t.Fatalf("PAYBRIDGE_SERVER_IP=%q: error %q does not name it", ip, err)
		}
	}
	if ip, err := prod("2001:db8::10").serverIP(); err != nil || ip != "2001:db8::10" {
		t.Fatalf("serverIP = %q, %v", ip, err)
	}
	sb, _ := loadConfig(map[string]string{})
	if ip, err := sb.serverIP(); err != nil || ip != "127.0.0.1" {
		t.Fatalf("sandbox serverIP = %q, %v", ip, err)
	}
}
