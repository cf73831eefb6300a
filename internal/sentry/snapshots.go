package sentry

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
)

// Preprod snapshots are screenshot test runs of a mobile or web app build,
// compared against a base build.

// Snapshot is one snapshot run with its comparison against the base.
type Snapshot struct {
	ID             FlexString      `json:"id"`
	ProjectID      FlexString      `json:"project_id"`
	ComparisonType string          `json:"comparison_type"` // diff, solo...
	State          string          `json:"state"`
	AppInfo        SnapshotAppInfo `json:"app_info"`
	VCS            SnapshotVCS     `json:"vcs_info"`
	Approval       struct {
		Status         string `json:"status"`
		IsAutoApproved bool   `json:"is_auto_approved"`
	} `json:"approval_info"`
	Images         []SnapshotEntry `json:"images"`
	Changed        []SnapshotEntry `json:"changed"`
	Added          []SnapshotEntry `json:"added"`
	Removed        []SnapshotEntry `json:"removed"`
	Renamed        []SnapshotEntry `json:"renamed"`
	Errored        []SnapshotEntry `json:"errored"`
	Unchanged      []SnapshotEntry `json:"unchanged"`
	Skipped        []SnapshotEntry `json:"skipped"`
	TotalCount     *FlexInt        `json:"total_count"`
	ChangedCount   *FlexInt        `json:"changed_count"`
	AddedCount     *FlexInt        `json:"added_count"`
	RemovedCount   *FlexInt        `json:"removed_count"`
	RenamedCount   *FlexInt        `json:"renamed_count"`
	UnchangedCount *FlexInt        `json:"unchanged_count"`
	ErroredCount   *FlexInt        `json:"errored_count"`
	SkippedCount   *FlexInt        `json:"skipped_count"`
}

// SnapshotAppInfo names the app a snapshot belongs to.
type SnapshotAppInfo struct {
	AppID    string `json:"app_id"`
	Name     string `json:"name"`
	Platform string `json:"platform"`
}

// SnapshotVCS is the commit and pull request a snapshot was built from.
type SnapshotVCS struct {
	HeadSHA  string     `json:"head_sha"`
	BaseSHA  string     `json:"base_sha"`
	HeadRef  string     `json:"head_ref"`
	BaseRef  string     `json:"base_ref"`
	PRNumber FlexString `json:"pr_number"`
	RepoName string     `json:"repo_name"`
}

// SnapshotImage is one screenshot of a snapshot.
type SnapshotImage struct {
	DisplayName   string          `json:"display_name"`
	Group         string          `json:"group"`
	ImageFileName string          `json:"image_file_name"`
	Description   string          `json:"description"`
	Width         FlexInt         `json:"width"`
	Height        FlexInt         `json:"height"`
	ImageURL      string          `json:"image_url"`
	Context       json.RawMessage `json:"context"`
}

// SnapshotEntry is an image of a snapshot list: a plain image (added,
// removed...) or a head/base pair with its diff (changed, renamed...).
type SnapshotEntry struct {
	SnapshotImage
	HeadImage *SnapshotImage `json:"head_image"`
	BaseImage *SnapshotImage `json:"base_image"`
	Diff      *float64       `json:"diff"` // share of pixels changed, 0 to 1
}

// Image is the entry's current image: the head, else the base, else the
// plain image.
func (e SnapshotEntry) Image() SnapshotImage {
	switch {
	case e.HeadImage != nil:
		return *e.HeadImage
	case e.BaseImage != nil:
		return *e.BaseImage
	}
	return e.SnapshotImage
}

// SnapshotImageDetail is one image of a snapshot compared with the base.
type SnapshotImageDetail struct {
	ImageFileName         string         `json:"image_file_name"`
	ComparisonStatus      string         `json:"comparison_status"`
	HeadImage             *SnapshotImage `json:"head_image"`
	BaseImage             *SnapshotImage `json:"base_image"`
	DiffImageURL          string         `json:"diff_image_url"`
	DiffPercentage        *float64       `json:"diff_percentage"`
	PreviousImageFileName string         `json:"previous_image_file_name"`
}

func snapshotPath(org string, rest ...string) []string {
	return append([]string{"organizations", org, "preprodartifacts", "snapshots"}, rest...)
}

// GetSnapshot returns a snapshot with compact metadata.
func (c *Client) GetSnapshot(ctx context.Context, org, id string) (*Snapshot, error) {
	if err := checkArgs("organization", org, "snapshot id", id); err != nil {
		return nil, err
	}
	var s Snapshot
	q := url.Values{"compact_metadata": {"true"}}
	if _, err := c.get(ctx, call{org: org, path: snapshotPath(org, id), query: q, scope: "project:read"}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetSnapshotImage returns one image of a snapshot by file name (which may
// hold slashes: it stays one path segment).
func (c *Client) GetSnapshotImage(ctx context.Context, org, id, image string) (*SnapshotImageDetail, error) {
	if err := checkArgs("organization", org, "snapshot id", id, "image", image); err != nil {
		return nil, err
	}
	var d SnapshotImageDetail
	if _, err := c.get(ctx, call{org: org, path: snapshotPath(org, id, "images", image), scope: "project:read"}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// LatestBaseQuery names the app (and optionally branch and project) whose
// latest base snapshot is wanted.
type LatestBaseQuery struct {
	AppID   string
	Branch  string
	Project string // slug or numeric id
}

// GetLatestBaseSnapshot returns the newest snapshot of an app on its base
// branch (or on Branch).
func (c *Client) GetLatestBaseSnapshot(ctx context.Context, org string, lq LatestBaseQuery) (*Snapshot, error) {
	if err := checkArgs("organization", org, "app id", lq.AppID); err != nil {
		return nil, err
	}
	q := url.Values{"app_id": {lq.AppID}, "compact_metadata": {"true"}}
	setIf(q, "branch", lq.Branch)
	if lq.Project != "" {
		if _, err := strconv.ParseInt(lq.Project, 10, 64); err == nil {
			q.Set("project", lq.Project)
		} else {
			q.Set("projectSlug", lq.Project)
		}
	}
	var s Snapshot
	if _, err := c.get(ctx, call{org: org, path: snapshotPath(org, "latest-base"), query: q, scope: "project:read"}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
