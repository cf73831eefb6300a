// Package telemetry starts lookout's OpenTelemetry tracing when an OTLP
// endpoint is configured (the standard OTEL_EXPORTER_OTLP_ENDPOINT, read by
// internal/config): spans go there over OTLP/HTTP, in batches. Without one
// nothing starts: no exporter, no goroutine, and internal/metrics starts no
// span. Which spans exist and what they carry is internal/metrics'
// business; this package builds the provider and shuts it down.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configure Start.
type Options struct {
	// Endpoint is the OTLP/HTTP traces URL (config.Config.TracesEndpoint);
	// "" means no tracing.
	Endpoint string
	// JSON sends http/json instead of http/protobuf.
	JSON bool
	// Version is service.version on every span.
	Version string
	// Logger gets the exporter's errors. It must redact: the OTLP headers
	// (OTEL_EXPORTER_OTLP_HEADERS) can hold an API key.
	Logger *slog.Logger
}

// Start returns the tracer provider and its shutdown, which sends the
// spans still buffered. Without an endpoint it returns a nil provider and
// a shutdown that does nothing. The other standard variables
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) are
// read by the SDK from the process environment.
func Start(opts Options) (trace.TracerProvider, func(context.Context) error, error) {
	nop := func(context.Context) error { return nil }
	if opts.Endpoint == "" {
		return nil, nop, nil
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	xopts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(opts.Endpoint)}
	if opts.JSON {
		xopts = append(xopts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}
	// The context only bounds New, which does not connect: the exporter
	// connects on the first batch.
	exp, err := otlptracehttp.New(context.Background(), xopts...)
	if err != nil {
		return nil, nop, fmt.Errorf("OpenTelemetry trace exporter: %w", err)
	}
	own := resource.NewSchemaless(attribute.String("service.name", "lookout"), attribute.String("service.version", opts.Version))
	res, err := resource.Merge(own, resource.Environment()) // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	if err != nil {
		res = own
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	// The SDK reports export failures through the global handler, which
	// by default writes to the standard logger: unstructured, unredacted.
	logger := opts.Logger
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("telemetry: could not send traces", "err", err)
	}))
	logger.Info("telemetry: sending traces", "endpoint", redactURL(opts.Endpoint))
	return tp, tp.Shutdown, nil
}

// redactURL drops user info and query from a URL before it is logged.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable)"
	}
	p.User, p.RawQuery = nil, ""
	return p.String()
}
