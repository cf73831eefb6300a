package sentry

import (
	"context"
	"net/url"
)

// EventAttachment is a file uploaded with an event (screenshot, log file,
// minidump...).
type EventAttachment struct {
	ID          FlexString `json:"id"`
	Name        string     `json:"name"`
	Type        string     `json:"type"` // event.attachment, event.minidump, event.view_hierarchy...
	Size        FlexInt    `json:"size"`
	MIMEType    string     `json:"mimetype"`
	DateCreated Time       `json:"dateCreated"`
	SHA1        string     `json:"sha1"`
}

// ListEventAttachments lists the files attached to an event.
func (c *Client) ListEventAttachments(ctx context.Context, org, project, eventID string) ([]EventAttachment, error) {
	if err := checkArgs("organization", org, "project", project, "event id", eventID); err != nil {
		return nil, err
	}
	var as []EventAttachment
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "events", eventID, "attachments"}, scope: "event:read"}, &as); err != nil {
		return nil, err
	}
	return as, nil
}

// DownloadEventAttachment downloads one attachment's bytes; max bounds the
// size (0 means DefaultMaxDownload).
func (c *Client) DownloadEventAttachment(ctx context.Context, org, project, eventID, id string, max int64) (*Blob, error) {
	if err := checkArgs("organization", org, "project", project, "event id", eventID, "attachment id", id); err != nil {
		return nil, err
	}
	return c.download(ctx, call{org: org, path: []string{"projects", org, project, "events", eventID, "attachments", id},
		query: url.Values{"download": {"1"}}, scope: "event:read"}, max)
}
