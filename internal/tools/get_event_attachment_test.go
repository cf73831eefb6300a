package tools

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// latestEventID is the id of an issue's latest event in the fake.
func latestEventID(t *testing.T, f *fixture, org, issue string) string {
	t.Helper()
	env := f.env(sentrytest.AliceID, allScopes)
	if org == "globex" {
		if err := env.Sentry.UseRegion(org, f.fake.RegionURL("de")); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := env.Sentry.GetIssueEvent(context.Background(), org, issue, sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	return string(ev.EventID)
}

func TestGetEventAttachment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	webEvent := latestEventID(t, f, "acme", "WEB-1A")
	mobileEvent := latestEventID(t, f, "globex", "MOBILE-1A")
	runToolCase(t, toolCase{
		tool: "get_event_attachment",
		args: `{"organizationSlug":"acme","projectSlug":"web","eventId":"` + webEvent + `"}`,
		want: []string{"# Attachments of event `" + webEvent + "` in **acme/web**", "| 123 | screenshot.png | event.attachment |",
			"| 124 | console.log | event.attachment |", "| text/plain |", "attachmentId='<id>'"},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","projectSlug":"mobile","eventId":"` + mobileEvent + `"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"web","eventId":"0123456789abcdef0123456789abcdef"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"web"}`,
			`{"organizationSlug":"acme","eventId":"` + webEvent + `"}`,
			`{"organizationSlug":"acme","projectSlug":"web","eventId":"latest"}`,
			`{"organizationSlug":"acme","projectSlug":"web","eventId":"` + webEvent + `","attachmentId":"../1"}`,
			`{"organizationSlug":"acme","projectSlug":"we/b","eventId":"` + webEvent + `"}`,
		},
	})
}

func TestGetEventAttachmentDownloads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	webEvent := latestEventID(t, f, "acme", "WEB-1A")
	args := func(project, event, id string) string {
		return fmt.Sprintf(`{"organizationSlug":"acme","projectSlug":%q,"eventId":%q,"attachmentId":%q}`, project, event, id)
	}
	// An image comes as image media, described in the text.
	res, err := f.result("get_event_attachment", args("web", webEvent, "123"))
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "image", res.Text, "- Name: screenshot.png · Type: event.attachment", "The image (image/png, ")
	if len(res.Media) != 1 || !res.Media[0].Image || res.Media[0].MIMEType != "image/png" || res.Media[0].Name != "screenshot.png" {
		t.Fatalf("media = %+v", res.Media)
	}
	if img, err := png.Decode(bytes.NewReader(res.Media[0].Data)); err != nil || img.Bounds().Dx() != 32 {
		t.Errorf("the image does not decode as the seeded 32 px PNG: %v", err)
	}
	// Text is shown inline, without media.
	res, err = f.result("get_event_attachment", args("web", webEvent, "124"))
	if err != nil || len(res.Media) != 0 {
		t.Fatalf("text attachment: %v, %d media", err, len(res.Media))
	}
	contains(t, "text", res.Text, "## Content", "12:00:51 error checkout failed: 504 Gateway Timeout")
	// Other files travel as resources.
	checkoutEvent := latestEventID(t, f, "acme", "CHECKOUT-1A")
	res, err = f.result("get_event_attachment", args("checkout", checkoutEvent, "125"))
	if err != nil || len(res.Media) != 1 || res.Media[0].Image || res.Media[0].MIMEType != "application/octet-stream" || len(res.Media[0].Data) != 13 {
		t.Fatalf("binary attachment: %v, %+v", err, res.Media)
	}
	contains(t, "binary", res.Text, "comes with this answer as a resource")
	// A file over the bound is described, not downloaded.
	f.fake.ClearRequests()
	res, err = f.result("get_event_attachment", args("checkout", checkoutEvent, "126"))
	if err != nil || len(res.Media) != 0 {
		t.Fatalf("large attachment: %v, %d media", err, len(res.Media))
	}
	contains(t, "large", res.Text, "Size: 5.0 MiB", "larger than the 4.0 MiB lookout downloads")
	for _, r := range f.fake.Requests() {
		if r.Query.Get("download") != "" {
			t.Errorf("the large file was downloaded: %s", r.Path)
		}
	}
	// The attachment must belong to the event.
	_, err = f.result("get_event_attachment", args("web", webEvent, "125"))
	if msg := TokenGuide(f.fake.URL).Explain(err); err == nil || !bytes.Contains([]byte(msg), []byte("found nothing")) {
		t.Errorf("another event's attachment: %v", err)
	}
}

// The Slack agent reads Call's text: it says what the file is even though
// it cannot carry the file.
func TestGetEventAttachmentTextForTextOnlyCallers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	webEvent := latestEventID(t, f, "acme", "WEB-1A")
	out := f.mustCall("get_event_attachment", `{"organizationSlug":"acme","projectSlug":"web","eventId":"`+webEvent+`","attachmentId":"123"}`)
	contains(t, "text of an image download", out, "screenshot.png", "image/png")
}
