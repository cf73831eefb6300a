//go:build !stdio

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/telemetry"
	"github.com/lookout-hq/lookout/internal/version"
)

// startTracing starts OpenTelemetry tracing when cfg has an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT): a nil provider otherwise. stop sends the
// spans still buffered, within a few seconds.
func startTracing(cfg *config.Config, logger *slog.Logger) (tp trace.TracerProvider, stop func(), err error) {
	tp, shutdown, err := telemetry.Start(telemetry.Options{
		Endpoint: cfg.TracesEndpoint, JSON: cfg.TracesProtocol == config.TracesJSON,
		Version: version.String(), Logger: logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return tp, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			logger.Warn("telemetry: could not send the last traces", "err", err)
		}
	}, nil
}

// listenMetrics listens on LOOKOUT_METRICS_ADDR, when set: /metrics is
// served there instead of on the main listener.
func listenMetrics(cfg *config.Config) (net.Listener, error) {
	if cfg.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (LOOKOUT_METRICS_ADDR): %w", cfg.MetricsAddr, err)
	}
	return ln, nil
}
