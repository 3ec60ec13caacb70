package browsertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// AxeEnv names the file of axe-core's axe.min.js (npm's axe-core; .ci/run
// installs it and sets this), which the accessibility checks inject.
const AxeEnv = "PAYBRIDGE_AXE_JS"

var axeSource = sync.OnceValues(func() (string, error) {
	p := os.Getenv(AxeEnv)
	if p == "" {
		return "", nil
	}
	b, err := os.ReadFile(p)
	return string(b), err
})

// HaveAxe reports whether axe-core is installed. Without it a test skips
// its accessibility checks and says so, except on CI (CI=true), where
// the missing install fails the test: CI never skips them.
func (b *Browser) HaveAxe() bool {
	b.t.Helper()
	src, err := axeSource()
	switch {
	case err != nil:
		b.t.Fatalf("read axe-core (%s): %v", AxeEnv, err)
	case src == "" && os.Getenv("CI") == "true":
		b.t.Fatalf("%s is not set on CI: .ci/run installs axe-core and sets it", AxeEnv)
	}
	return src != ""
}

// AxeViolation is one rule axe-core found broken on a page.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // the offending elements' selectors
}

// Axe runs axe-core (WCAG 2.1 A and AA rules and best practices) on the
// page as it is now, named state; it fails the test on any serious or
// critical violation, logs the others, and writes them all to
// axe-<state>.json in the output folder. The cross-origin iframes (the
// card fields) are Clover's documents and are not checked. Without
// axe-core (see HaveAxe) it does nothing. It returns the violations.
func (b *Browser) Axe(state string) []AxeViolation {
	b.t.Helper()
	if !b.HaveAxe() {
		return nil
	}
	src, _ := axeSource()
	js := `(function () {
		if (!window.axe) { ` + src + ` }
		return axe.run(document, {iframes: false, resultTypes: ['violations'],
			runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
		.then(function (r) { return JSON.stringify(r.violations.map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' '); })};
		})); });
	})()`
	out := Value(b, "axe "+state, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe %s: %v", state, err)
	}
	_ = os.WriteFile(filepath.Join(OutputDir(b.t), "axe-"+state+".json"), []byte(out), 0o644)
	var bad []string
	for _, v := range vs {
		line := v.Impact + " " + v.ID + ": " + v.Help + " (" + strings.Join(v.Nodes, ", ") + ")"
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			b.t.Logf("axe %s: %s", state, line)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("axe %s: %d serious or critical violations:\n%s", state, len(bad), strings.Join(bad, "\n"))
	}
	b.t.Logf("axe %s: %d violations, %d serious or critical", state, len(vs), len(bad))
	return vs
}

// State records the page as it is now, named name, at a desktop width
// (1280 × 900) and a phone's (375 × 812): a full-page screenshot and the
// axe-core check at each, and that nothing is wider than the phone. It
// leaves the viewport at the desktop width.
func (b *Browser) State(name string) {
	b.t.Helper()
	b.Viewport(1280, 900)
	b.Screenshot(name + "-desktop")
	b.Axe(name + "-desktop")
	b.Viewport(375, 812)
	if w := Value(b, "width", chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > 375 {
		b.t.Errorf("%s is %d px wide at a 375 px viewport", name, w)
	}
	b.Screenshot(name + "-375")
	b.Axe(name + "-375")
	b.Viewport(1280, 900)
}
