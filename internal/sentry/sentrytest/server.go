package sentrytest

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// NewServer starts the fake on two httptest servers, the main ("us")
// region at f.URL and the "de" region at f.RegionURL("de"), and closes
// them when the test ends.
func NewServer(t testing.TB, opts Options) *Fake {
	t.Helper()
	f := New(opts)
	start := func(h http.Handler) *httptest.Server {
		if opts.TLS {
			return httptest.NewTLSServer(h)
		}
		return httptest.NewServer(h)
	}
	us, de := start(f.handlers[RegionUS]), start(f.handlers[RegionDE])
	f.SetRegionURL(RegionUS, us.URL)
	f.SetRegionURL(RegionDE, de.URL)
	if opts.TLS {
		f.client = us.Client() // httptest servers share one certificate
		f.cert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: us.Certificate().Raw})
	}
	var once sync.Once
	f.closers = append(f.closers, func() { once.Do(func() { us.Close(); de.Close() }) })
	t.Cleanup(f.Close)
	return f
}

// Start serves the fake on real listeners, for `lookout demo`: the main
// region on opts.Addr and "de" on opts.RegionAddr (both default
// 127.0.0.1:0, a free port). Close stops both.
func Start(opts Options) (*Fake, error) {
	f := New(opts)
	addr := func(a string) string {
		if a == "" {
			return "127.0.0.1:0"
		}
		return a
	}
	usLn, err := net.Listen("tcp", addr(opts.Addr))
	if err != nil {
		return nil, fmt.Errorf("sentrytest: listen for the main server: %w", err)
	}
	deLn, err := net.Listen("tcp", addr(opts.RegionAddr))
	if err != nil {
		usLn.Close()
		return nil, fmt.Errorf("sentrytest: listen for the de server: %w", err)
	}
	for region, ln := range map[string]net.Listener{RegionUS: usLn, RegionDE: deLn} {
		srv := &http.Server{Handler: f.handlers[region], ReadHeaderTimeout: 10 * time.Second}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = srv.Serve(ln) // http.ErrServerClosed once Close runs
		}()
		f.SetRegionURL(region, "http://"+ln.Addr().String())
		f.closers = append(f.closers, func() { srv.Close(); <-done })
	}
	return f, nil
}

// Close stops the servers NewServer or Start began; it is safe to call
// more than once and on a fake that never served.
func (f *Fake) Close() {
	f.mu.Lock()
	closers := f.closers
	f.closers = nil
	f.mu.Unlock()
	for _, c := range closers {
		c()
	}
}

// CertificatePEM is the certificate of a TLS fake (Options.TLS), PEM
// encoded, for a process that must trust it (SSL_CERT_FILE); nil
// otherwise.
func (f *Fake) CertificatePEM() []byte { return f.cert }
