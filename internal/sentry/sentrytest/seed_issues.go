package sentrytest

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// issueSpec is one seeded issue: what went wrong and where. Counts, times,
// statuses and tags are drawn from the seeded generator unless fixed is set.
type issueSpec struct {
	typ, value string // the exception; empty for a message issue
	message    string // message issues only
	module     string
	function   string
	file       string
	line       int
	code       string // the source line at the crash
	level      string
	fixed      *fixedIssue
}

// fixedIssue pins the properties tests and the demo script rely on.
type fixedIssue struct {
	status, substatus string
	count, userCount  int
	firstSeenAgo      time.Duration
	lastSeenAgo       time.Duration
	assignee          *actor
	release           string // release of the latest event
	noteBy, note      string
	events            int
}

// The first issue of each project is fixed (WEB-1A, CHECKOUT-1A, API-1A,
// MOBILE-1A, BACKEND-1A); the rest are varied by the seeded generator.
var issueSpecs = map[string][]issueSpec{
	"acme/web": {
		{typ: "TypeError", value: "Cannot read properties of undefined (reading 'items')", module: "components/CartSummary", function: "CartSummary", file: "src/components/CartSummary.tsx", line: 42, code: "  const count = cart.items.length;", level: "error",
			fixed: &fixedIssue{status: "unresolved", substatus: "new", count: 1834, userCount: 412, firstSeenAgo: 47 * time.Hour, lastSeenAgo: traceErrorsAgo, release: "web@1.2.3+build.4", noteBy: BobID, note: "Started right after web@1.2.3+build.4: CartSummary assumes cart.items is always set, but a failed payment leaves the cart undefined.", events: 5}},
		{typ: "ChunkLoadError", value: "Loading chunk 412 failed. (timeout: https://static.acme.example/js/412.3f9c1.js)", module: "webpack/runtime/load script", function: "__webpack_require__.l", file: "webpack/runtime/load script", line: 38, code: "  script.onerror = onScriptComplete.bind(null, script.onerror);", level: "error"},
		{typ: "TypeError", value: "Failed to fetch", module: "lib/apiClient", function: "request", file: "src/lib/apiClient.ts", line: 88, code: "  const res = await fetch(url, init);", level: "error"},
		{typ: "ReferenceError", value: "gtag is not defined", module: "lib/analytics", function: "trackPageview", file: "src/lib/analytics.ts", line: 17, code: "  gtag('event', 'page_view', { page_path: path });", level: "error"},
		{typ: "Error", value: "Hydration failed because the initial UI does not match what was rendered on the server.", module: "pages/_app", function: "App", file: "src/pages/_app.tsx", line: 23, code: "  return <Layout><Component {...pageProps} /></Layout>;", level: "error"},
		{typ: "SyntaxError", value: "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON", module: "lib/apiClient", function: "parseJSON", file: "src/lib/apiClient.ts", line: 131, code: "  return JSON.parse(text);", level: "error"},
		{typ: "RangeError", value: "Maximum call stack size exceeded", module: "utils/deepMerge", function: "deepMerge", file: "src/utils/deepMerge.ts", line: 9, code: "    out[key] = deepMerge(out[key], src[key]);", level: "error"},
		{typ: "Error", value: "ResizeObserver loop completed with undelivered notifications.", module: "components/ProductGallery", function: "useGallerySize", file: "src/components/ProductGallery.tsx", line: 71, code: "  observer.observe(ref.current);", level: "warning"},
		{typ: "UnhandledRejection", value: "Non-Error promise rejection captured with value: Object Not Found Matching Id:3", module: "lib/recommendations", function: "loadRecommendations", file: "src/lib/recommendations.ts", line: 29, code: "  return client.get(`/recommendations/${id}`);", level: "error"},
		{typ: "TypeError", value: "Cannot read properties of null (reading 'addEventListener')", module: "components/NewsletterForm", function: "mountNewsletter", file: "src/components/NewsletterForm.tsx", line: 23, code: "  form.addEventListener('submit', onSubmit);", level: "error"},
		{typ: "Error", value: "Minified React error #418; visit https://react.dev/errors/418 for the full message.", module: "components/PriceTag", function: "PriceTag", file: "src/components/PriceTag.tsx", line: 12, code: "  return <span>{formatPrice(amount, locale)}</span>;", level: "error"},
		{typ: "InvalidStateError", value: "Failed to execute 'transaction' on 'IDBDatabase': The database connection is closing.", module: "lib/offlineCache", function: "openStore", file: "src/lib/offlineCache.ts", line: 54, code: "  const tx = db.transaction('cart', 'readwrite');", level: "warning"},
	},
	"acme/checkout": {
		{typ: "PaymentGatewayTimeout", value: "Upstream payment provider did not respond within 10s", module: "checkout.payments.gateway", function: "charge", file: "checkout/payments/gateway.py", line: 118, code: "        resp = self.session.post(self.charge_url, json=payload, timeout=10)", level: "error",
			fixed: &fixedIssue{status: "unresolved", substatus: "new", count: 5210, userCount: 977, firstSeenAgo: 23 * time.Hour, lastSeenAgo: 9 * time.Minute, assignee: &actor{"user", AliceID}, release: "checkout@2.0.0", noteBy: AliceID, note: "Payment provider status page shows elevated latency in eu-west; checkout@2.0.0 dropped the retry wrapper around charge().", events: 5}},
		{typ: "IntegrityError", value: "duplicate key value violates unique constraint \"orders_order_idempotency_key_key\"", module: "checkout.orders.service", function: "create_order", file: "checkout/orders/service.py", line: 61, code: "    order = Order.objects.create(**fields)", level: "error"},
		{typ: "KeyError", value: "'shipping_address'", module: "checkout.orders.serializers", function: "validate", file: "checkout/orders/serializers.py", line: 64, code: "        address = attrs['shipping_address']", level: "error"},
		{typ: "OperationalError", value: "could not connect to server: Connection refused", module: "checkout.db", function: "connect", file: "checkout/db.py", line: 22, code: "    return psycopg.connect(dsn, connect_timeout=3)", level: "fatal"},
		{typ: "ValueError", value: "invalid literal for int() with base 10: 'ten'", module: "checkout.cart.views", function: "update_quantity", file: "checkout/cart/views.py", line: 77, code: "    quantity = int(request.data['quantity'])", level: "error"},
		{typ: "CardError", value: "Your card was declined.", module: "checkout.payments.stripe", function: "confirm_intent", file: "checkout/payments/stripe.py", line: 93, code: "        intent = stripe.PaymentIntent.confirm(intent_id)", level: "warning"},
		{typ: "TimeoutError", value: "Redis command timed out: GET cart:session:8f3a", module: "checkout.cart.store", function: "load", file: "checkout/cart/store.py", line: 35, code: "        raw = self.redis.get(f'cart:session:{session_id}')", level: "error"},
		{message: "Coupon service degraded: falling back to no-discount pricing", module: "checkout.pricing.coupons", function: "apply_coupons", file: "checkout/pricing/coupons.py", line: 48, code: "        logger.warning('Coupon service degraded: falling back to no-discount pricing')", level: "warning",
			// Its latest event is the trace's standalone error (see traces).
			fixed: &fixedIssue{status: "unresolved", substatus: "ongoing", count: 642, userCount: 301, firstSeenAgo: 6 * 24 * time.Hour, lastSeenAgo: traceErrorsAgo + 300*time.Millisecond, release: "checkout@2.0.0", events: 3}},
		{typ: "AttributeError", value: "'NoneType' object has no attribute 'currency'", module: "checkout.pricing.tax", function: "compute_tax", file: "checkout/pricing/tax.py", line: 52, code: "    rate = RATES[cart.region.currency]", level: "error"},
		{typ: "InvalidOperation", value: "[<class 'decimal.ConversionSyntax'>]", module: "checkout.pricing.money", function: "parse_amount", file: "checkout/pricing/money.py", line: 14, code: "    return Decimal(raw).quantize(CENTS)", level: "error"},
	},
	"acme/api": {
		{typ: "runtime.Error", value: "runtime error: invalid memory address or nil pointer dereference", module: "github.com/acme/api/internal/orders", function: "(*Service).Get", file: "internal/orders/service.go", line: 57, code: "\treturn o.Customer.ID, nil", level: "fatal",
			fixed: &fixedIssue{status: "unresolved", substatus: "ongoing", count: 312, userCount: 88, firstSeenAgo: 70 * time.Hour, lastSeenAgo: 47 * time.Minute, assignee: &actor{"team", "4506000000000013"}, release: "api@release/3.4", events: 4}},
		{typ: "*net.OpError", value: "dial tcp 10.0.3.17:5432: connect: connection refused", module: "github.com/acme/api/internal/db", function: "Open", file: "internal/db/db.go", line: 40, code: "\tif err := pool.Ping(ctx); err != nil {", level: "error"},
		{typ: "*errors.errorString", value: "context deadline exceeded", module: "github.com/acme/api/internal/search", function: "(*Client).Query", file: "internal/search/client.go", line: 112, code: "\tresp, err := c.http.Do(req.WithContext(ctx))", level: "error"},
		{typ: "*json.SyntaxError", value: "invalid character '}' looking for beginning of object key string", module: "github.com/acme/api/internal/handlers", function: "decodeBody", file: "internal/handlers/decode.go", line: 19, code: "\tif err := json.NewDecoder(r.Body).Decode(v); err != nil {", level: "warning"},
		{typ: "*pgconn.PgError", value: "ERROR: canceling statement due to statement timeout (SQLSTATE 57014)", module: "github.com/acme/api/internal/reports", function: "(*Store).Monthly", file: "internal/reports/store.go", line: 88, code: "\trows, err := s.db.Query(ctx, monthlySQL, from, to)", level: "error"},
		{typ: "*url.Error", value: "Post \"https://hooks.partner.example/notify\": EOF", module: "github.com/acme/api/internal/webhooks", function: "(*Dispatcher).Send", file: "internal/webhooks/dispatcher.go", line: 66, code: "\tresp, err := d.client.Post(d.url, \"application/json\", body)", level: "error"},
		{typ: "runtime.Error", value: "runtime error: index out of range [3] with length 3", module: "github.com/acme/api/internal/pricing", function: "Tiers", file: "internal/pricing/tiers.go", line: 31, code: "\tnext := tiers[i+1]", level: "fatal"},
		{typ: "*errors.errorString", value: "sql: no rows in result set", module: "github.com/acme/api/internal/users", function: "(*Store).ByEmail", file: "internal/users/store.go", line: 47, code: "\tif err := row.Scan(&u.ID, &u.Email); err != nil {", level: "warning"},
		{typ: "*fmt.wrapError", value: "rate limiter: redis: connection pool timeout", module: "github.com/acme/api/internal/ratelimit", function: "(*Limiter).Allow", file: "internal/ratelimit/limiter.go", line: 58, code: "\t\treturn false, fmt.Errorf(\"rate limiter: %w\", err)", level: "error"},
		{message: "webhook signature mismatch from partner acme-logistics", module: "github.com/acme/api/internal/webhooks", function: "(*Receiver).Verify", file: "internal/webhooks/receiver.go", line: 34, code: "\t\tsentry.CaptureMessage(\"webhook signature mismatch from partner \" + partner)", level: "info"},
	},
	"globex/mobile": {
		{typ: "NSInvalidArgumentException", value: "-[__NSCFNumber length]: unrecognized selector sent to instance 0x8000000000000000", module: "Globex", function: "CartViewModel.formatQuantity(_:)", file: "Globex/Cart/CartViewModel.swift", line: 88, code: "        return label.count > 0 ? label : \"0\"", level: "fatal",
			fixed: &fixedIssue{status: "unresolved", substatus: "ongoing", count: 2045, userCount: 1630, firstSeenAgo: 94 * time.Hour, lastSeenAgo: 31 * time.Minute, assignee: &actor{"user", AliceID}, release: "mobile@4.1.0+412", events: 4}},
		{typ: "EXC_BAD_ACCESS", value: "KERN_INVALID_ADDRESS at 0x0000000000000010.", module: "Globex", function: "ImageCache.store(_:for:)", file: "Globex/Media/ImageCache.swift", line: 41, code: "        storage[key] = image", level: "fatal"},
		{typ: "NSRangeException", value: "*** -[__NSArrayM objectAtIndex:]: index 5 beyond bounds [0 .. 4]", module: "Globex", function: "CatalogDataSource.item(at:)", file: "Globex/Catalog/CatalogDataSource.swift", line: 27, code: "        return items[indexPath.row]", level: "fatal"},
		{typ: "DecodingError", value: "keyNotFound(CodingKeys(stringValue: \"price\", intValue: nil))", module: "Globex", function: "ProductService.decode(_:)", file: "Globex/Catalog/ProductService.swift", line: 63, code: "        return try decoder.decode(Product.self, from: data)", level: "error"},
		{typ: "URLError", value: "The request timed out. (NSURLErrorDomain -1001)", module: "Globex", function: "APIClient.send(_:)", file: "Globex/Networking/APIClient.swift", line: 102, code: "        let (data, response) = try await session.data(for: request)", level: "warning"},
		{typ: "Fatal error", value: "Unexpectedly found nil while implicitly unwrapping an Optional value", module: "Globex", function: "OrderHistoryViewController.viewDidLoad()", file: "Globex/Orders/OrderHistoryViewController.swift", line: 19, code: "        tableView.dataSource = dataSource", level: "fatal"},
		{typ: "App Hanging", value: "App hanging for at least 2000 ms.", module: "Globex", function: "SearchViewController.filter(_:)", file: "Globex/Search/SearchViewController.swift", line: 74, code: "        results = catalog.filter { $0.matches(query) }", level: "warning"},
		{typ: "SQLiteError", value: "database is locked (code 5)", module: "Globex", function: "OfflineStore.save(_:)", file: "Globex/Storage/OfflineStore.swift", line: 52, code: "        try db.run(insert)", level: "error"},
		{typ: "WatchdogTermination", value: "The OS watchdog terminated your app, possibly because it overused RAM.", module: "Globex", function: "AppDelegate.applicationDidReceiveMemoryWarning(_:)", file: "Globex/AppDelegate.swift", line: 33, code: "        ImageCache.shared.trim()", level: "fatal"},
	},
	"globex/backend": {
		{typ: "java.lang.NullPointerException", value: "Cannot invoke \"com.globex.orders.Order.getCustomer()\" because \"order\" is null", module: "com.globex.orders.OrderService", function: "processOrder", file: "OrderService.java", line: 142, code: "        Customer customer = order.getCustomer();", level: "error",
			fixed: &fixedIssue{status: "unresolved", substatus: "ongoing", count: 733, userCount: 211, firstSeenAgo: 40 * time.Hour, lastSeenAgo: 18 * time.Minute, release: "backend@2.3.0", events: 4}},
		{typ: "org.springframework.dao.DataIntegrityViolationException", value: "could not execute statement; constraint [uk_invoice_number]", module: "com.globex.billing.InvoiceRepository", function: "save", file: "InvoiceRepository.java", line: 37, code: "        return jdbc.update(INSERT_INVOICE, params);", level: "error"},
		{typ: "java.util.concurrent.TimeoutException", value: "Timeout waiting for task.", module: "com.globex.inventory.ReservationClient", function: "reserve", file: "ReservationClient.java", line: 81, code: "        return future.get(5, TimeUnit.SECONDS);", level: "warning"},
		{typ: "com.fasterxml.jackson.databind.exc.MismatchedInputException", value: "Cannot deserialize value of type `java.time.Instant` from String \"yesterday\"", module: "com.globex.api.OrderRequestMapper", function: "map", file: "OrderRequestMapper.java", line: 29, code: "        return mapper.readValue(body, OrderRequest.class);", level: "error"},
		{typ: "java.lang.IllegalStateException", value: "Inventory reservation already released: RES-88213", module: "com.globex.inventory.Reservation", function: "release", file: "Reservation.java", line: 55, code: "            throw new IllegalStateException(\"Inventory reservation already released: \" + id);", level: "error"},
		{typ: "org.apache.kafka.common.errors.RecordTooLargeException", value: "The message is 1048712 bytes when serialized which is larger than 1048576, which is the value of the max.request.size configuration.", module: "com.globex.events.OrderEventPublisher", function: "publish", file: "OrderEventPublisher.java", line: 47, code: "        producer.send(new ProducerRecord<>(topic, key, payload)).get();", level: "error"},
		{typ: "java.net.SocketTimeoutException", value: "Read timed out", module: "com.globex.shipping.CarrierClient", function: "quote", file: "CarrierClient.java", line: 96, code: "        HttpResponse<String> resp = http.send(req, BodyHandlers.ofString());", level: "error"},
		{typ: "java.lang.OutOfMemoryError", value: "Java heap space", module: "com.globex.reports.ExportJob", function: "buildCsv", file: "ExportJob.java", line: 118, code: "        rows.add(toCsvRow(record));", level: "fatal"},
		{typ: "javax.net.ssl.SSLHandshakeException", value: "PKIX path building failed: unable to find valid certification path to requested target", module: "com.globex.payments.BankGateway", function: "connect", file: "BankGateway.java", line: 64, code: "        socket.startHandshake();", level: "error"},
	},
}

// platformProfile holds what differs between the seeded SDKs.
type platformProfile struct {
	platform, sdkName, sdkVersion string
	logger                        string
	mechanism                     string
	traceOp                       string
	framework                     []frame // outermost frames, not in app
	callers                       []frame // in-app frames calling the crashing function
	tagPools                      map[string][]string
	derived                       map[string]string // tag key -> key it is derived from
	culprit                       func(module, function string) string
}

func moduleInFunction(module, function string) string { return module + " in " + function }

var profiles = map[string]*platformProfile{
	"web": {
		platform: "javascript", sdkName: "sentry.javascript.react", sdkVersion: "9.12.0", mechanism: "onerror", traceOp: "pageload",
		framework: []frame{
			{Filename: "node_modules/scheduler/cjs/scheduler.production.js", Module: "scheduler/cjs/scheduler.production", Function: "workLoop", LineNo: 266, ColNo: 34},
			{Filename: "node_modules/react-dom/cjs/react-dom-client.production.js", Module: "react-dom/cjs/react-dom-client.production", Function: "commitRoot", LineNo: 11804, ColNo: 9},
		},
		callers: []frame{
			{Filename: "src/pages/checkout.tsx", Module: "pages/checkout", Function: "CheckoutPage", LineNo: 58, ColNo: 12, InApp: true},
			{Filename: "src/App.tsx", Module: "App", Function: "App", LineNo: 31, ColNo: 7, InApp: true},
		},
		tagPools: map[string][]string{
			"url":         {"https://shop.acme.example/checkout", "https://shop.acme.example/cart", "https://shop.acme.example/products/espresso-machine", "https://shop.acme.example/"},
			"transaction": {"/checkout", "/cart", "/products/:slug", "/"},
			"browser":     {"Chrome 131.0.0", "Safari 18.1", "Firefox 133.0", "Edge 131.0.0"},
			"os.name":     {"Windows", "macOS", "iOS", "Android"},
		},
		derived: map[string]string{"browser.name": "browser"},
		culprit: func(module, function string) string { return function + "(" + module + ")" },
	},
	"checkout": {
		platform: "python", sdkName: "sentry.python.django", sdkVersion: "2.19.2", logger: "", mechanism: "django", traceOp: "http.server",
		framework: []frame{
			{Filename: "django/core/handlers/exception.py", AbsPath: "/usr/local/lib/python3.12/site-packages/django/core/handlers/exception.py", Module: "django.core.handlers.exception", Function: "inner", LineNo: 55},
			{Filename: "django/core/handlers/base.py", AbsPath: "/usr/local/lib/python3.12/site-packages/django/core/handlers/base.py", Module: "django.core.handlers.base", Function: "_get_response", LineNo: 197},
		},
		callers: []frame{
			{Filename: "checkout/api/views.py", Module: "checkout.api.views", Function: "PayView.post", LineNo: 44, InApp: true},
			{Filename: "checkout/orders/service.py", Module: "checkout.orders.service", Function: "place_order", LineNo: 88, InApp: true},
		},
		tagPools: map[string][]string{
			"url":         {"https://checkout.acme.example/api/checkout/pay", "https://checkout.acme.example/api/cart", "https://checkout.acme.example/api/orders"},
			"transaction": {"POST /api/checkout/pay", "GET /api/cart", "POST /api/orders"},
			"server_name": {"checkout-7f9c8d-x2k4p", "checkout-7f9c8d-q8m1z", "checkout-7f9c8d-h3v7n"},
			"runtime":     {"CPython 3.12.7"},
		},
		derived: map[string]string{"runtime.name": "runtime"},
		culprit: moduleInFunction,
	},
	"api": {
		platform: "go", sdkName: "sentry.go", sdkVersion: "0.30.0", mechanism: "generic", traceOp: "http.server",
		framework: []frame{
			{Filename: "net/http/server.go", AbsPath: "/usr/local/go/src/net/http/server.go", Module: "net/http", Function: "(*conn).serve", LineNo: 2092},
			{Filename: "net/http/server.go", AbsPath: "/usr/local/go/src/net/http/server.go", Module: "net/http", Function: "serverHandler.ServeHTTP", LineNo: 3210},
			{Filename: "mux.go", AbsPath: "/go/pkg/mod/github.com/go-chi/chi/v5@v5.1.0/mux.go", Module: "github.com/go-chi/chi/v5", Function: "(*Mux).ServeHTTP", LineNo: 90},
		},
		callers: []frame{
			{Filename: "internal/handlers/orders.go", Module: "github.com/acme/api/internal/handlers", Function: "(*Handler).GetOrder", LineNo: 73, InApp: true},
			{Filename: "internal/handlers/router.go", Module: "github.com/acme/api/internal/handlers", Function: "withAuth.func1", LineNo: 41, InApp: true},
		},
		tagPools: map[string][]string{
			"url":         {"https://api.acme.example/v2/orders/18273", "https://api.acme.example/v2/search", "https://api.acme.example/v2/reports/monthly", "https://api.acme.example/v2/webhooks/partner"},
			"transaction": {"GET /v2/orders/{id}", "GET /v2/search", "GET /v2/reports/monthly", "POST /v2/webhooks/partner"},
			"server_name": {"api-5c7d9-bk2lw", "api-5c7d9-zz8qp"},
			"runtime":     {"go go1.23.4"},
		},
		derived: map[string]string{"runtime.name": "runtime"},
		culprit: moduleInFunction,
	},
	"mobile": {
		platform: "cocoa", sdkName: "sentry.cocoa", sdkVersion: "8.41.0", mechanism: "nsexception", traceOp: "ui.load",
		framework: []frame{
			{Filename: "UIKitCore", Module: "UIKitCore", Function: "-[UIApplication sendAction:to:from:forEvent:]", LineNo: 0},
			{Filename: "libdispatch.dylib", Module: "libdispatch.dylib", Function: "_dispatch_call_block_and_release", LineNo: 0},
		},
		callers: []frame{
			{Filename: "Globex/Checkout/CheckoutCoordinator.swift", Module: "Globex", Function: "CheckoutCoordinator.start()", LineNo: 61, InApp: true},
			{Filename: "Globex/App/SceneDelegate.swift", Module: "Globex", Function: "SceneDelegate.scene(_:willConnectTo:options:)", LineNo: 22, InApp: true},
		},
		tagPools: map[string][]string{
			"transaction": {"CheckoutViewController", "CatalogViewController", "OrderHistoryViewController"},
			"device":      {"iPhone15,2", "iPhone16,1", "iPhone14,5", "iPad13,4"},
			"os":          {"iOS 18.1", "iOS 17.6.1", "iPadOS 18.1"},
		},
		derived: map[string]string{"os.name": "os"},
		culprit: func(_, function string) string { return function },
	},
	"backend": {
		platform: "java", sdkName: "sentry.java.spring-boot.jakarta", sdkVersion: "7.18.0", mechanism: "UncaughtExceptionHandler", traceOp: "http.server",
		framework: []frame{
			{Filename: "FrameworkServlet.java", Module: "org.springframework.web.servlet.FrameworkServlet", Function: "processRequest", LineNo: 1014},
			{Filename: "DispatcherServlet.java", Module: "org.springframework.web.servlet.DispatcherServlet", Function: "doDispatch", LineNo: 1089},
		},
		callers: []frame{
			{Filename: "OrderController.java", Module: "com.globex.api.OrderController", Function: "createOrder", LineNo: 58, InApp: true},
			{Filename: "OrderFacade.java", Module: "com.globex.orders.OrderFacade", Function: "submit", LineNo: 73, InApp: true},
		},
		tagPools: map[string][]string{
			"url":         {"https://orders.globex.example/api/orders", "https://orders.globex.example/api/invoices", "https://orders.globex.example/api/inventory/reserve"},
			"transaction": {"POST /api/orders", "GET /api/invoices", "POST /api/inventory/reserve"},
			"server_name": {"orders-6b9f7-m2x8c", "orders-6b9f7-p5t1v"},
			"runtime":     {"Java 21.0.5"},
		},
		derived: map[string]string{"runtime.name": "runtime"},
		culprit: moduleInFunction,
	},
}

// crockford is the base32 alphabet Sentry uses for short ids.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func base32(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{crockford[n%32]}, b...)
		n /= 32
	}
	return string(b)
}

func (s *seeder) issues() {
	seq := 6500000000
	for _, o := range s.w.orgs {
		for _, p := range o.projects {
			for _, spec := range issueSpecs[o.Slug+"/"+p.Slug] {
				seq++
				s.w.issues = append(s.w.issues, s.issue(p, spec, fmt.Sprint(seq)))
			}
		}
	}
}

func (s *seeder) issue(p *project, spec issueSpec, id string) *issue {
	prof := profiles[p.Slug]
	is := &issue{
		ID: id, ShortID: strings.ToUpper(p.Slug) + "-" + base32(p.nextShortID), project: p,
		Level: spec.level, Platform: prof.platform, Logger: prof.logger,
		ExcType: spec.typ, ExcValue: spec.value, Message: spec.message,
		Function: spec.function, Filename: spec.file,
		Culprit:     prof.culprit(spec.module, spec.function),
		IsUnhandled: spec.level == "fatal" || (spec.typ != "" && s.rnd.IntN(3) > 0),
	}
	p.nextShortID++
	if spec.typ != "" {
		is.Title = spec.typ + ": " + spec.value
	} else {
		is.Title = spec.message
	}
	nEvents := 3
	if f := spec.fixed; f != nil {
		is.Status, is.Substatus = f.status, f.substatus
		is.Count, is.UserCount = f.count, f.userCount
		is.FirstSeen, is.LastSeen = s.ago(f.firstSeenAgo), s.ago(f.lastSeenAgo)
		is.assignee = f.assignee
		is.IsUnhandled = spec.typ != ""
		nEvents = f.events
	} else {
		s.drawIssue(is, p)
	}
	is.Priority = priorityFor(is.Level, s.rnd.IntN(2) == 0)
	is.HasSeen = is.Status != "unresolved" || s.rnd.IntN(2) == 0
	is.IsBookmarked = s.rnd.IntN(10) == 0
	nEvents = min(nEvents, is.Count)

	s.tagStats(is, prof, spec)
	for i := range nEvents {
		is.events = append(is.events, s.event(is, prof, spec, i, nEvents))
	}
	is.firstRelease = is.events[0].Release
	is.lastRelease = is.events[len(is.events)-1].Release
	s.stats(is)
	s.activities(is, spec)
	return is
}

func priorityFor(level string, coin bool) string {
	switch level {
	case "fatal":
		return "high"
	case "error":
		if coin {
			return "high"
		}
		return "medium"
	case "warning":
		if coin {
			return "medium"
		}
		return "low"
	}
	return "low"
}

// drawIssue fills the varied properties of a generated issue.
func (s *seeder) drawIssue(is *issue, p *project) {
	day := 24 * time.Hour
	is.FirstSeen = s.ago(s.between(2*time.Hour, 40*day)).Truncate(time.Second)
	age := s.now.Sub(is.FirstSeen)
	switch roll := s.rnd.IntN(100); {
	case roll < 68:
		is.Status = "unresolved"
		is.LastSeen = s.ago(s.between(time.Minute, min(5*day, age)))
		switch {
		case age < 7*day:
			is.Substatus = "new"
		case s.rnd.IntN(4) == 0:
			is.Substatus = "regressed"
		default:
			is.Substatus = "ongoing"
		}
	case roll < 88:
		is.Status = "resolved"
		is.LastSeen = is.FirstSeen.Add(time.Duration(s.rnd.Float64() * float64(age) * 0.8))
	default:
		is.Status = "ignored"
		is.Substatus = "archived_until_escalating"
		is.LastSeen = s.ago(s.between(time.Hour, min(10*day, age)))
	}
	is.LastSeen = is.LastSeen.Truncate(time.Second)
	if is.LastSeen.Before(is.FirstSeen) {
		is.LastSeen = is.FirstSeen
	}
	is.Count = 1 + int(math.Exp(s.rnd.Float64()*8.2))
	is.UserCount = 1 + s.rnd.IntN(max(1, is.Count/2))
	members := p.org.members
	switch roll := s.rnd.IntN(100); {
	case roll < 22:
		is.assignee = &actor{"user", members[0].userID}
	case roll < 34:
		is.assignee = &actor{"user", members[len(members)-1].userID}
	case roll < 44:
		is.assignee = &actor{"team", p.team.ID}
	}
}

// split divides total into n positive parts, largest first.
func (s *seeder) split(total, n int) []int {
	n = max(1, min(n, total))
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = s.rnd.Float64()*s.rnd.Float64() + 0.05
		sum += w[i]
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(w)))
	parts := make([]int, n)
	used := 0
	for i := range parts {
		parts[i] = max(1, int(float64(total)*w[i]/sum))
		used += parts[i]
	}
	parts[0] += total - used
	for parts[0] < 1 { // rounding up the tail can overshoot on tiny totals
		for i := n - 1; i > 0 && parts[0] < 1; i-- {
			if parts[i] > 1 {
				parts[i]--
				parts[0]++
			}
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(parts)))
	return parts
}

var tagNames = map[string]string{
	"browser": "Browser", "browser.name": "Browser.Name", "device": "Device", "environment": "Environment",
	"handled": "Handled", "level": "Level", "os": "OS", "os.name": "Os.Name", "release": "Release",
	"runtime": "Runtime", "runtime.name": "Runtime.Name", "server_name": "Server", "transaction": "Transaction",
	"url": "URL", "user": "User", "mechanism": "Mechanism",
}

func tagName(key string) string {
	if n, ok := tagNames[key]; ok {
		return n
	}
	return key
}

// tagStats builds the issue's tag distributions; events then draw from them.
func (s *seeder) tagStats(is *issue, prof *platformProfile, spec issueSpec) {
	handled := "yes"
	if is.IsUnhandled {
		handled = "no"
	}
	dists := map[string][]string{
		"environment": {"production", "staging"},
		"level":       {is.Level},
		"handled":     {handled},
	}
	for k, v := range prof.tagPools {
		dists[k] = v
	}
	var rels []string
	for _, r := range is.project.releases() {
		if !r.DateReleased.After(is.LastSeen) {
			rels = append(rels, r.Version)
		}
	}
	if len(rels) == 0 {
		all := is.project.releases()
		rels = []string{all[len(all)-1].Version}
	}
	if f := spec.fixed; f != nil && f.release != "" {
		rels = []string{f.release}
	}
	dists["release"] = rels

	keys := make([]string, 0, len(dists)+len(prof.derived)+1)
	for k := range dists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byKey := map[string]*tagStat{}
	for _, k := range keys {
		pool := dists[k]
		n := len(pool)
		if k == "environment" {
			n = 1 + s.rnd.IntN(2)
		} else if n > 1 {
			n = 1 + s.rnd.IntN(n)
		}
		counts := s.split(is.Count, n)
		byKey[k] = s.tagStat(is, k, pool[:len(counts)], counts, nil)
	}
	for _, k := range sortedKeys(prof.derived) {
		src := byKey[prof.derived[k]]
		agg := map[string]int{}
		var order []string
		for _, v := range src.values {
			name := v.Value
			if i := strings.LastIndex(name, " "); i > 0 {
				name = name[:i]
			}
			if _, ok := agg[name]; !ok {
				order = append(order, name)
			}
			agg[name] += v.Count
		}
		counts := make([]int, len(order))
		for i, name := range order {
			counts[i] = agg[name]
		}
		byKey[k] = s.tagStat(is, k, order, counts, nil)
	}
	// Users: the top few of UserCount distinct users.
	top := min(5, is.UserCount)
	userCounts := s.split(max(top, is.Count*3/4), top)
	users := make([]string, top)
	names := make([]string, top)
	for i := range users {
		n := 1000 + s.rnd.IntN(9000)
		users[i] = fmt.Sprintf("id:%d", n)
		names[i] = fmt.Sprintf("customer%d@example.net", n)
	}
	st := s.tagStat(is, "user", users, userCounts, names)
	st.TotalValues, st.UniqueValues = is.Count, is.UserCount
	byKey["user"] = st

	keys = keys[:0]
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		is.tags = append(is.tags, byKey[k])
	}
}

func (s *seeder) tagStat(is *issue, key string, values []string, counts []int, names []string) *tagStat {
	st := &tagStat{Key: key, Name: tagName(key), UniqueValues: len(values)}
	span := is.LastSeen.Sub(is.FirstSeen)
	for i, v := range values {
		tv := &tagValue{Value: v, Name: v, Count: counts[i], FirstSeen: is.FirstSeen, LastSeen: is.LastSeen}
		if names != nil {
			tv.Name = names[i]
		}
		if i > 0 && span > 0 {
			tv.FirstSeen = is.FirstSeen.Add(time.Duration(s.rnd.Float64() * float64(span) * 0.3)).Truncate(time.Second)
			tv.LastSeen = is.LastSeen.Add(-time.Duration(s.rnd.Float64() * float64(span) * 0.3)).Truncate(time.Second)
		}
		st.TotalValues += tv.Count
		st.values = append(st.values, tv)
	}
	return st
}

func (is *issue) tag(key string) *tagStat {
	for _, t := range is.tags {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// pick draws a value of the issue's tag key weighted by its counts.
func (s *seeder) pick(is *issue, key string) string {
	st := is.tag(key)
	if st == nil || len(st.values) == 0 {
		return ""
	}
	total := 0
	for _, v := range st.values {
		total += v.Count
	}
	n := s.rnd.IntN(total)
	for _, v := range st.values {
		if n < v.Count {
			return v.Value
		}
		n -= v.Count
	}
	return st.values[0].Value
}

func setTag(ev *event, key, value string) {
	for i := range ev.tags {
		if ev.tags[i][0] == key {
			ev.tags[i][1] = value
			return
		}
	}
	ev.tags = append(ev.tags, [2]string{key, value})
	sort.Slice(ev.tags, func(i, j int) bool { return ev.tags[i][0] < ev.tags[j][0] })
}

func (ev *event) tag(key string) string {
	for _, t := range ev.tags {
		if t[0] == key {
			return t[1]
		}
	}
	return ""
}

func (s *seeder) event(is *issue, prof *platformProfile, spec issueSpec, i, n int) *event {
	at := is.LastSeen
	if n > 1 {
		at = is.FirstSeen.Add(is.LastSeen.Sub(is.FirstSeen) * time.Duration(i) / time.Duration(n-1))
	}
	at = at.Add(time.Duration(s.rnd.IntN(1000)) * time.Millisecond)
	if i == n-1 {
		at = is.LastSeen
	}
	ev := &event{
		ID: s.hex(32), issue: is, project: is.project,
		DateCreated: at, DateReceived: at.Add(time.Duration(200+s.rnd.IntN(800)) * time.Millisecond),
		TraceID: s.hex(32), SpanID: s.hex(16),
		Handled: !is.IsUnhandled, Mechanism: prof.mechanism,
		SDKName: prof.sdkName, SDKVersion: prof.sdkVersion,
		Size: 4000 + s.rnd.IntN(8000),
	}
	for _, st := range is.tags {
		if _, derived := prof.derived[st.Key]; derived {
			continue
		}
		ev.tags = append(ev.tags, [2]string{st.Key, s.pick(is, st.Key)})
	}
	for _, k := range sortedKeys(prof.derived) {
		v := ev.tag(prof.derived[k])
		if j := strings.LastIndex(v, " "); j > 0 {
			v = v[:j]
		}
		ev.tags = append(ev.tags, [2]string{k, v})
	}
	sort.Slice(ev.tags, func(a, b int) bool { return ev.tags[a][0] < ev.tags[b][0] })
	ev.Environment = ev.tag("environment")
	ev.Transaction = ev.tag("transaction")
	// An event runs the release it drew, unless that shipped later; then
	// the newest release out by then (or the first one ever).
	rels := is.project.releases()
	for _, r := range rels {
		if r.Version == ev.tag("release") {
			ev.Release = r
		}
	}
	if ev.Release == nil || ev.Release.DateReleased.After(at) {
		ev.Release = rels[len(rels)-1]
		for i := len(rels) - 1; i >= 0; i-- {
			if !rels[i].DateReleased.After(at) {
				ev.Release = rels[i]
			}
		}
		setTag(ev, "release", ev.Release.Version)
	}
	uid := strings.TrimPrefix(ev.tag("user"), "id:")
	ev.User = eventUser{
		ID: uid, Email: "customer" + uid + "@example.net", Username: "customer" + uid,
		IPAddress: fmt.Sprintf("203.0.113.%d", 1+s.rnd.IntN(254)),
		Country:   []string{"US", "DE", "GB", "FR", "BR"}[s.rnd.IntN(5)],
	}

	// Stack: framework frames, one or two in-app callers, then the crash.
	ev.frames = append(ev.frames, prof.framework...)
	ev.frames = append(ev.frames, prof.callers[s.rnd.IntN(len(prof.callers)):]...)
	crash := frame{Filename: spec.file, Module: spec.module, Function: spec.function, LineNo: spec.line, InApp: true,
		Context: [][2]any{{spec.line - 1, ""}, {spec.line, spec.code}, {spec.line + 1, ""}}}
	if prof.platform == "javascript" {
		crash.ColNo = 1 + s.rnd.IntN(40)
		crash.AbsPath = "https://shop.acme.example/static/js/" + strings.TrimSuffix(strings.TrimPrefix(spec.file, "src/"), ".tsx")
	}
	ev.frames = append(ev.frames, crash)
	for j := range ev.frames {
		f := &ev.frames[j]
		if f.AbsPath == "" {
			f.AbsPath = f.Filename
		}
	}
	if url := ev.tag("url"); url != "" {
		method := "GET"
		if strings.HasPrefix(ev.Transaction, "POST ") {
			method = "POST"
		}
		ev.request = &eventRequest{Method: method, URL: url, Headers: [][2]string{
			{"Accept", "application/json"}, {"Authorization", "[Filtered]"}, {"User-Agent", userAgent(ev)},
		}}
	}
	ev.breadcrumbs = s.breadcrumbs(ev, prof)
	return ev
}

func userAgent(ev *event) string {
	switch ev.tag("browser.name") {
	case "Safari":
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
	case "Firefox":
		return "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	case "Chrome", "Edge":
		return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	}
	return "acme-internal-client/1.4"
}

func (s *seeder) breadcrumbs(ev *event, prof *platformProfile) []breadcrumb {
	t := ev.DateCreated
	at := func(back time.Duration) time.Time { return t.Add(-back) }
	msg := ev.issue.Title
	switch prof.platform {
	case "javascript":
		return []breadcrumb{
			{Timestamp: at(9 * time.Second), Type: "navigation", Category: "navigation", Level: "info", Data: map[string]any{"from": "/cart", "to": ev.Transaction}},
			{Timestamp: at(6 * time.Second), Type: "default", Category: "ui.click", Level: "info", Message: "button#checkout-submit"},
			{Timestamp: at(2 * time.Second), Type: "http", Category: "fetch", Level: "warning", Data: map[string]any{"method": "POST", "url": "https://checkout.acme.example/api/checkout/pay", "status_code": 504}},
			{Timestamp: at(0), Type: "error", Category: "console", Level: "error", Message: msg},
		}
	case "cocoa":
		return []breadcrumb{
			{Timestamp: at(20 * time.Second), Type: "navigation", Category: "ui.lifecycle", Level: "info", Data: map[string]any{"screen": ev.Transaction, "state": "viewDidAppear"}},
			{Timestamp: at(8 * time.Second), Type: "http", Category: "http", Level: "info", Data: map[string]any{"method": "GET", "url": "https://api.globex.example/v1/catalog", "status_code": 200}},
			{Timestamp: at(1 * time.Second), Type: "user", Category: "touch", Level: "info", Message: "UIButton: Checkout"},
		}
	default:
		crumbs := []breadcrumb{
			{Timestamp: at(3 * time.Second), Type: "default", Category: "query", Level: "info", Message: "SELECT id, status, total FROM orders WHERE id = %s"},
			{Timestamp: at(2 * time.Second), Type: "http", Category: "httplib", Level: "info", Data: map[string]any{"method": "POST", "url": "https://payments.example.net/v1/charges", "status_code": 200}},
		}
		if ev.issue.Level == "error" || ev.issue.Level == "fatal" {
			crumbs = append(crumbs, breadcrumb{Timestamp: at(0), Type: "error", Category: "log", Level: "error", Message: msg})
		}
		return crumbs
	}
}

// stats spreads the issue's count over 30 daily and 24 hourly buckets.
func (s *seeder) stats(is *issue) {
	day := 24 * time.Hour
	dayStart := s.now.Truncate(day).Add(-29 * day)
	is.stats30d = s.spread(is, dayStart, day, 30, is.Count)
	last := is.stats30d[29] + is.stats30d[28]/2
	hourStart := s.now.Truncate(time.Hour).Add(-23 * time.Hour)
	is.stats24h = s.spread(is, hourStart, time.Hour, 24, last)
}

func (s *seeder) spread(is *issue, start time.Time, step time.Duration, n, total int) []int {
	out := make([]int, n)
	w := make([]float64, n)
	sum := 0.0
	for i := range n {
		from, to := start.Add(time.Duration(i)*step), start.Add(time.Duration(i+1)*step)
		if to.Before(is.FirstSeen) || from.After(is.LastSeen) {
			continue
		}
		w[i] = 0.2 + s.rnd.Float64()
		sum += w[i]
	}
	if sum == 0 {
		return out
	}
	used, lastIdx := 0, -1
	for i := range n {
		if w[i] > 0 {
			out[i] = int(float64(total) * w[i] / sum)
			used += out[i]
			lastIdx = i
		}
	}
	out[lastIdx] += total - used
	return out
}

func (s *seeder) nextActivityID() string {
	s.activitySeq++
	return fmt.Sprint(47000000 + s.activitySeq)
}

func (s *seeder) activities(is *issue, spec issueSpec) {
	add := func(typ, userID string, at time.Time, data map[string]any) {
		if at.After(s.now) {
			at = s.now.Add(-time.Minute)
		}
		is.activity = append(is.activity, &activity{ID: s.nextActivityID(), Type: typ, userID: userID, Data: data, DateCreated: at})
	}
	add("first_seen", "", is.FirstSeen, map[string]any{"priority": is.Priority})
	owner := is.project.org.members[0].userID
	if a := is.assignee; a != nil {
		data := map[string]any{"assignee": a.id, "assigneeType": a.kind}
		if a.kind == "user" {
			data["assigneeEmail"] = userEmail(a.id)
		}
		add("assigned", owner, is.FirstSeen.Add(37*time.Minute), data)
	}
	if is.Substatus == "regressed" {
		add("set_regression", "", is.LastSeen.Add(-2*time.Hour), map[string]any{"version": is.lastRelease.Version})
	}
	switch is.Status {
	case "resolved":
		add("set_resolved", owner, is.LastSeen.Add(time.Hour), map[string]any{})
	case "ignored":
		add("set_ignored", owner, is.LastSeen.Add(-30*time.Minute), map[string]any{"ignoreUntilEscalating": true})
	}
	if f := spec.fixed; f != nil && f.note != "" {
		add("note", f.noteBy, is.LastSeen.Add(-5*time.Minute), map[string]any{"text": f.note})
	}
	sort.SliceStable(is.activity, func(i, j int) bool { return is.activity[i].DateCreated.Before(is.activity[j].DateCreated) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func userEmail(id string) string {
	switch id {
	case AliceID:
		return "alice@example.com"
	case BobID:
		return "bob@example.com"
	case CarolID:
		return "carol@example.com"
	}
	return ""
}
