package web

import (
	_ "embed"
	"net/url"
	"regexp"
	"strings"
)

//go:embed SCRIPT_INVENTORY.md
var inventoryMD string

var inventoryRow = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// ScriptAllowed reports whether a script URL the page loaded is listed in
// SCRIPT_INVENTORY.md: own scripts by path (any query), Clover's SDK as
// the configured sdkURL.
func ScriptAllowed(scriptURL, sdkURL string) bool {
	u, err := url.Parse(scriptURL)
	if err != nil {
		return false
	}
	for _, m := range inventoryRow.FindAllStringSubmatch(inventoryMD, -1) {
		entry := m[1]
		if entry == "{clover-sdk}" {
			if scriptURL == sdkURL {
				return true
			}
			continue
		}
		if strings.HasPrefix(entry, "/") && u.Path == entry {
			return true
		}
	}
	return false
}
