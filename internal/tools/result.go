package tools

import "fmt"

// Result is a tool's answer: markdown text, and for the few tools that
// fetch files (event attachments, snapshot images) the files themselves.
// The text always describes each file (name, type, size), so a front door
// that cannot carry media, like Slack or a model reading text, loses
// nothing the user must know; MCP maps Media to image and resource content.
type Result struct {
	Text  string
	Media []Media
}

// Media is a file returned with the text.
type Media struct {
	Name     string // file name, e.g. screenshot.png
	URI      string // where it came from (Sentry's API URL), for resource content
	MIMEType string
	Data     []byte
	// Image: a raster image a client may show inline. Other files,
	// SVG included, travel as resources.
	Image bool
}

// Bounds of what one answer carries besides its text: a file or image is
// downloaded up to maxFileBytes, and all of an answer's media together stay
// under maxMediaBytes (base64 makes them a third larger on the wire).
const (
	maxFileBytes  = 4 << 20
	maxMediaBytes = 8 << 20
)

// inlineImage reports whether mediaType is an image format MCP clients
// show inline.
func inlineImage(mediaType string) bool {
	switch mediaType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// sizeText prints a byte count for a reader: 980 B, 12.4 KiB, 3.1 MiB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
