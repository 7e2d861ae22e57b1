package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/autonews/autonews/web"
)

// serveHTTP serves the dashboard, /metrics, /healthz and /readyz on the HTTP address. It starts before
// the speed layer has caught up, so that /readyz can say it has not.
func (s *Server) serveHTTP() error {
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listener on %s: %w (choose another with --http-addr)", s.cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/", web.NewHandler(s, web.Config{Threshold: s.cfg.RelevanceThreshold, AdminPassword: s.cfg.MySQLPassword},
		s.log.With("component", "web")))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.httpAddr = ln.Addr()
	s.goRun("http", func() error {
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return nil
}

// readyz answers 200 once the speed layer and the news feed have applied the log as it
// stood at start-up, and 503 with the reason until then.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if reason := s.notReady.Load(); reason != nil {
		http.Error(w, *reason, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// HTTPAddr is the address the HTTP endpoints are served on.
func (s *Server) HTTPAddr() string {
	if s.httpAddr == nil {
		return s.cfg.HTTPAddr
	}
	return s.httpAddr.String()
}

func (s *Server) closeHTTP() {
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
}
