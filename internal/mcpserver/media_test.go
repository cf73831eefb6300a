package mcpserver_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/tools"
)

// Tools that fetch files answer MCP clients with the text and the files:
// images as image content, other files as embedded resources.
func TestMediaResults(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	opts := sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0))}
	c, err := sentry.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	web, err := c.GetIssueEvent(ctx, "acme", "WEB-1A", sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	checkout, err := c.GetIssueEvent(ctx, "acme", "CHECKOUT-1A", sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	srv := mcpserver.New(mcpserver.Options{
		Catalog: tools.Catalog(tools.Options{}),
		Guide:   tools.TokenGuide(fake.URL),
		Bind: func(context.Context, *mcp.CallToolRequest) (*tools.Env, error) {
			c, err := sentry.New(opts)
			return &tools.Env{Sentry: c}, err
		},
	})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })

	call := func(project, event, id string) *mcp.CallToolResult {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_event_attachment", Arguments: map[string]any{
			"organizationSlug": "acme", "projectSlug": project, "eventId": event, "attachmentId": id}})
		if err != nil || res.IsError {
			t.Fatalf("call: %v %+v", err, res)
		}
		return res
	}
	res := call("web", string(web.EventID), "123")
	if len(res.Content) != 2 {
		t.Fatalf("image answer has %d parts", len(res.Content))
	}
	if _, ok := res.Content[0].(*mcp.TextContent); !ok {
		t.Errorf("first part is %T, want the text", res.Content[0])
	}
	img, ok := res.Content[1].(*mcp.ImageContent)
	if !ok || img.MIMEType != "image/png" || !bytes.HasPrefix(img.Data, []byte("\x89PNG")) {
		t.Fatalf("second part: %T %+v", res.Content[1], res.Content[1])
	}
	res = call("checkout", string(checkout.EventID), "125")
	blob, ok := res.Content[1].(*mcp.EmbeddedResource)
	if !ok || blob.Resource.MIMEType != "application/octet-stream" || len(blob.Resource.Blob) != 13 ||
		blob.Resource.URI != fake.URL+"/api/0/projects/acme/checkout/events/"+string(checkout.EventID)+"/attachments/125/?download=1" {
		t.Fatalf("binary part: %T %+v", res.Content[1], res.Content[1])
	}
	res = call("web", string(web.EventID), "124")
	if len(res.Content) != 1 {
		t.Errorf("a text attachment has %d parts, want the text only", len(res.Content))
	}
}
