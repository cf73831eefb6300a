package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	slackapi "github.com/slack-go/slack"
)

// Response URLs: Slack hands one out with each slash command and click,
// good for five answers within 30 minutes, visible to the user alone
// (ephemeral). An answer that replaces the previous one (replace_original)
// can be sent again after a failure without the user seeing it twice.

// maxResponseBody bounds what lookout reads of a response URL's answer.
const maxResponseBody = 64 << 10

// respond sends text (and blocks) to responseURL as part of j's item:
// ephemeral, in place of the previous answer through that URL when
// replace is set.
func (b *Bot) respond(ctx context.Context, j *job, responseURL, text string, blocks []slackapi.Block, replace bool) error {
	// No unfurling, as for every message: Slack must never fetch a
	// connect link.
	msg := map[string]any{"response_type": "ephemeral", "text": text, "replace_original": replace,
		"unfurl_links": false, "unfurl_media": false}
	if len(blocks) > 0 {
		msg["blocks"] = blocks
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return permanent(err)
	}
	return b.call(ctx, j, "response_url", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := b.cfg.HTTPClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		return responseError(resp, got)
	}, nil)
}

// responseError reads a response URL's answer: Slack says "ok" (or
// {"ok":true}); a failure is an HTTP status, or {"ok":false,"error":...}
// (expired_url, used_url: permanent), in the types classify knows.
func responseError(resp *http.Response, body []byte) error {
	var r struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	decoded := json.Unmarshal(body, &r) == nil
	if resp.StatusCode/100 != 2 {
		if decoded && r.Error != "" && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return slackapi.SlackErrorResponse{Err: r.Error}
		}
		return slackapi.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	if decoded && r.OK != nil && !*r.OK {
		return slackapi.SlackErrorResponse{Err: r.Error}
	}
	if !decoded && strings.TrimSpace(string(body)) != "ok" && len(bytes.TrimSpace(body)) > 0 {
		return slackapi.SlackErrorResponse{Err: "unexpected_response"}
	}
	return nil
}
