// Package browsertest starts Debian's Chromium for tests through chromedp
// v0.22 (generic Action API): a fresh headless browser per test, a
// timeout on every step, screenshots under the test's output folder, and
// typing into cross-origin iframes by attaching to the iframe's own
// target (FromNode on a site-isolated iframe hangs; DEPENDENCIES.md).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian installs Chromium.
const ExecPath = "/usr/bin/chromium"

// StepTimeout bounds every browser step.
const StepTimeout = 20 * time.Second

// Browser is one running Chromium and its first tab.
type Browser struct {
	t   testing.TB
	Ctx context.Context // the tab; use with Step
}

// Options tune Start.
type Options struct {
	// IsolateOrigins forces these origins into their own processes, so
	// their iframes become targets of their own even when they share a
	// site with the page (e.g. two loopback ports).
	IsolateOrigins []string
	Width, Height  int // window size (default 1280×900)
}

// Start launches Chromium for t, or skips t with a clear message when it
// is not installed. Everything is torn down at cleanup.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	if _, err := os.Stat(ExecPath); err != nil {
		t.Skipf("Chromium is not installed at %s: skipping the browser test (apt-get install chromium; .ci/run installs it)", ExecPath)
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("site-per-process", true),
	}
	if len(o.IsolateOrigins) > 0 {
		opts = append(opts, chromedp.Flag("isolate-origins", strings.Join(o.IsolateOrigins, ",")))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Do starts the browser and binds it to the context it is
	// given, so it runs on the tab's own context, not a timeout child.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// A script error on the page is in the test's log: a silent one
	// otherwise shows up only as a step timing out.
	b := &Browser{t: t, Ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.logf("page script error: %s %s", e.ExceptionDetails.Text, describe(e.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				parts := make([]string, len(e.Args))
				for i, a := range e.Args {
					parts[i] = describe(a)
				}
				b.logf("page console %s: %s", e.Type, strings.Join(parts, " "))
			}
		}
	}); err != nil {
		t.Fatalf("listen to the page: %v", err)
	}
	return b
}

// logf logs from the tab's event loop, where the test may have ended.
func (b *Browser) logf(format string, args ...any) {
	defer func() { _ = recover() }() // a log after the test completed panics
	b.t.Logf(format, args...)
}

// describe is a remote object as the console would print it.
func describe(o *runtime.RemoteObject) string {
	switch {
	case o == nil:
		return ""
	case o.Description != "":
		return o.Description
	default:
		return string(o.Value)
	}
}

// Step runs steps on the tab with StepTimeout; it fails the test on error.
func (b *Browser) Step(name string, run func(context.Context, ...chromedp.Action[chromedp.Void]) error, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	if err := run(ctx, steps...); err != nil {
		b.t.Fatalf("browser step %q: %v%s", name, err, b.whereNow())
	}
}

// whereNow describes the page a failed step left (URL, the start of its
// text) and saves a screenshot of it, so a timeout says what was shown.
func (b *Browser) whereNow() string {
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 800)`))
	if err != nil {
		return ""
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(OutputDir(b.t), "failed-step.png"), png, 0o644)
	}
	return "\npage now: " + text
}

// Do runs steps on the tab with StepTimeout, failing the test on error.
func (b *Browser) Do(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.Step(name, chromedp.Do, steps...)
}

// Value runs one value-returning action with StepTimeout.
func Value[T any](b *Browser, name string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser step %q: %v", name, err)
	}
	return v
}

// TypeInFrame types text into the first element matching sel inside the
// cross-origin iframe whose URL contains urlPart, by attaching to that
// iframe's own target; it polls (with a deadline) for the target to exist.
func (b *Browser) TypeInFrame(urlPart, sel, text string) {
	b.t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
		infos, err := chromedp.Targets(ctx)
		cancel()
		if err != nil {
			b.t.Fatalf("list targets: %v", err)
		}
		for _, ti := range infos {
			if ti.Type == "iframe" && strings.Contains(ti.URL, urlPart) {
				fctx, fcancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(ti.TargetID))
				sctx, scancel := context.WithTimeout(fctx, StepTimeout)
				err := chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
				scancel()
				// Cancelling a context attached to an existing target
				// detaches without closing it.
				_ = fcancel
				if err != nil {
					b.t.Fatalf("type into iframe %s: %v", urlPart, err)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no iframe target with URL containing %q (site isolation off?)", urlPart)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline, not waiting blind
	}
}

// Screenshot saves a full-page PNG as <dir>/<name>.png, where dir is the
// test's output folder: $PAYBRIDGE_TEST_OUTPUT/<test name> when set, else
// testdata/output/<test name> under the package (git-ignored by CI).
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Value(b, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := OutputDir(b.t)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	return p
}

// OutputDir is the test's output folder, created.
func OutputDir(t testing.TB) string {
	root := os.Getenv("PAYBRIDGE_TEST_OUTPUT")
	if root == "" {
		root = filepath.Join("testdata", "output")
	}
	dir := filepath.Join(root, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("output dir: %v", err)
	}
	return dir
}

// Press clicks (or, double, double-clicks) the element matching sel until
// the page shows it took the click: took, a JavaScript expression, is true
// or the page is navigating away. It tries three times, a few seconds
// each: right after a scroll Chromium can hand the press to a
// cross-origin iframe that was under the pointer before it (see Settle),
// and a busy machine can take longer than Settle's frames to catch up.
func (b *Browser) Press(sel, took string, double bool) {
	b.t.Helper()
	click := chromedp.Click[chromedp.CSS]
	if double {
		click = chromedp.DoubleClick[chromedp.CSS]
	}
	for try := 1; ; try++ {
		b.Do("press "+sel, Settle(sel), click(chromedp.CSS(sel)))
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(b.Ctx, time.Second)
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](took))
			cancel()
			if err != nil || ok {
				return // navigating (no document to ask) or taken
			}
			time.Sleep(100 * time.Millisecond) // polling with a deadline
		}
		if try == 3 {
			b.t.Fatalf("the page never took the click on %s%s", sel, b.whereNow())
		}
	}
}

// Settle scrolls the element matching sel to the middle of the viewport
// and waits two frames. Clicking right after chromedp's own scroll can
// send the press to a cross-origin iframe that was under the pointer
// before the scroll (its hit-test area is updated a frame later), so the
// page sees only the release and no click.
func Settle(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`new Promise(function (done) {
		document.querySelector(`+strconv.Quote(sel)+`).scrollIntoView({block: 'center'});
		requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });
	})`, chromedp.EvalAwaitPromise)
}

// Viewport sets the page's viewport (e.g. 375 wide for phones).
func (b *Browser) Viewport(w, h int64) {
	b.t.Helper()
	b.Do(fmt.Sprintf("viewport %dx%d", w, h), chromedp.EmulateViewport(w, h))
}
