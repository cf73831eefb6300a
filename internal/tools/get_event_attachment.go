package tools

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getEventAttachmentInput struct {
	orgParam
	ProjectSlug  string  `json:"projectSlug" jsonschema:"The event's project slug."`
	EventID      string  `json:"eventId" jsonschema:"The event id: 32 hex characters."`
	AttachmentID *string `json:"attachmentId,omitempty" jsonschema:"The attachment to download; omit to list the event's attachments."`
	regionParam
}

const getEventAttachmentName = "get_event_attachment"

// attachmentTextShown bounds a text attachment shown inline.
const attachmentTextShown = 12 << 10

func getEventAttachmentTool() Tool {
	return newMediaTool(spec{
		Name:  getEventAttachmentName,
		Title: "Get an event attachment",
		Description: `List the files attached to an event (screenshots, logs, minidumps, view hierarchies), or download one: text is shown inline, an image or other file comes with the answer (up to 4 MiB).

Use it when an event has attachments that could explain the error, e.g. a screenshot of what the user saw.
Examples: get_event_attachment(organizationSlug='acme', projectSlug='web', eventId='c49541c747cb4d8aa3efb70ca5aba243') lists them;
add attachmentId='123' to download one.`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "attachmentId")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			s.Properties["eventId"].Pattern = `^[0-9a-fA-F]{32}$`
			s.Properties["attachmentId"].Pattern = `^[0-9]{1,20}$`
		},
	}, getEventAttachment)
}

func getEventAttachment(ctx context.Context, env *Env, in getEventAttachmentInput) (Result, error) {
	org, project, eventID := in.OrganizationSlug, in.ProjectSlug, strings.ToLower(in.EventID)
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return Result{}, err
	}
	as, err := env.Sentry.ListEventAttachments(ctx, org, project, eventID)
	if err != nil {
		return Result{}, err
	}
	id := optString(in.AttachmentID)
	if id == "" {
		return Result{Text: attachmentList(org, project, eventID, as)}, nil
	}
	var a *sentry.EventAttachment
	for i := range as {
		if string(as[i].ID) == id {
			a = &as[i]
		}
	}
	if a == nil {
		return Result{}, notFound("attachment %s of event %s in %s/%s (the event has %d attachments)", id, eventID, org, project, len(as))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Attachment %s of event `%s`\n\n", id, eventID)
	fmt.Fprintf(&b, "- Name: %s · Type: %s · Size: %s · MIME type: %s\n", a.Name, orDefault(a.Type, "-"), sizeText(int64(a.Size)), orDefault(a.MIMEType, "unknown"))
	fmt.Fprintf(&b, "- Created: %s · SHA-1: %s\n", stampUTC(a.DateCreated), orDefault(a.SHA1, "-"))
	if a.Size > maxFileBytes {
		fmt.Fprintf(&b, "\nThe file is larger than the %s lookout downloads; open the event in Sentry to get it.\n", sizeText(maxFileBytes))
		return Result{Text: b.String()}, nil
	}
	blob, err := env.Sentry.DownloadEventAttachment(ctx, org, project, eventID, id, maxFileBytes)
	if err != nil {
		return Result{}, err
	}
	mt := orDefault(blob.MediaType(), strings.ToLower(a.MIMEType))
	uri := strings.TrimSuffix(env.Sentry.BaseURL(), "/") + "/api/0/projects/" + org + "/" + project + "/events/" + eventID + "/attachments/" + id + "/?download=1"
	switch {
	case strings.HasPrefix(mt, "text/") || mt == "application/json":
		text := string(blob.Data)
		if !utf8.ValidString(text) {
			text = strings.ToValidUTF8(text, "�")
		}
		cut := ""
		if len(text) > attachmentTextShown {
			text, cut = headText(text, attachmentTextShown), fmt.Sprintf(" (first %s of %s)", sizeText(attachmentTextShown), sizeText(int64(len(blob.Data))))
		}
		fmt.Fprintf(&b, "\n## Content%s\n\n%s", cut, codeFence(strings.Split(strings.TrimRight(text, "\n"), "\n")))
		return Result{Text: b.String()}, nil
	case inlineImage(mt):
		fmt.Fprintf(&b, "\nThe image (%s, %s) comes with this answer.\n", mt, sizeText(int64(len(blob.Data))))
		return Result{Text: b.String(), Media: []Media{{Name: a.Name, URI: uri, MIMEType: mt, Data: blob.Data, Image: true}}}, nil
	}
	fmt.Fprintf(&b, "\nThe file (%s, %s) comes with this answer as a resource; its bytes are not shown as text.\n", orDefault(mt, "application/octet-stream"), sizeText(int64(len(blob.Data))))
	return Result{Text: b.String(), Media: []Media{{Name: a.Name, URI: uri, MIMEType: orDefault(mt, "application/octet-stream"), Data: blob.Data}}}, nil
}

func attachmentList(org, project, eventID string, as []sentry.EventAttachment) string {
	if len(as) == 0 {
		return fmt.Sprintf("Event `%s` in %s/%s has no attachments.\n", eventID, org, project)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Attachments of event `%s` in **%s/%s**\n\n", eventID, org, project)
	b.WriteString("| id | name | type | size | MIME type | created |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, a := range as {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", a.ID, cell(a.Name), cell(a.Type), sizeText(int64(a.Size)), cell(a.MIMEType), stampUTC(a.DateCreated))
	}
	fmt.Fprintf(&b, "\nDownload one: get_event_attachment(organizationSlug='%s', projectSlug='%s', eventId='%s', attachmentId='<id>').\n", org, project, eventID)
	return b.String()
}

// headText is the start of s, at most n bytes, cut at a line end when one
// is near and never inside a UTF-8 sequence.
func headText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > n/2 {
		s = s[:i]
	}
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
