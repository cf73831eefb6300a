package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getSnapshotImageInput struct {
	orgParam
	SnapshotID      string `json:"snapshotId" jsonschema:"The snapshot's numeric id."`
	ImageIdentifier string `json:"imageIdentifier" jsonschema:"The image's file name exactly as get_snapshot lists it; it may contain slashes."`
	ImageResolution string `json:"imageResolution,omitempty" jsonschema:"preview (the default: at most 1024 pixels a side) or full (the original files, larger)."`
	regionParam
}

const getSnapshotImageName = "get_snapshot_image"

// Preview bounds: the longest side of a preview, and the largest image
// lookout decodes to make one.
const (
	previewMaxSide   = 1024
	previewMaxPixels = 12_000_000
)

func getSnapshotImageTool() Tool {
	return newMediaTool(spec{
		Name:  getSnapshotImageName,
		Title: "Get a snapshot image",
		Description: `Show one image of a preprod snapshot: its comparison status and diff, and the images themselves (current, base and diff mask) as previews or full size.

Use it after get_snapshot to see what changed in a screenshot.
Example: get_snapshot_image(organizationSlug='acme', snapshotId='231949', imageIdentifier='snapshots-iphone-16/auth_login_screen.png').`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			minLength(s, "snapshotId", "imageIdentifier")
			setEnum(s, "imageResolution", "preview", "full")
			setDefault(s, "imageResolution", `"preview"`)
		},
	}, func(ctx context.Context, env *Env, in getSnapshotImageInput) (Result, error) {
		id, img := strings.TrimSpace(in.SnapshotID), strings.TrimSpace(in.ImageIdentifier)
		switch {
		case !digitsRe().MatchString(id):
			return Result{}, &InputError{Tool: getSnapshotImageName, Problem: fmt.Sprintf("snapshotId %q is not a snapshot id (digits)", shorten(id, 40))}
		case img == "" || img == "." || img == ".." || len(img) > 500:
			return Result{}, &InputError{Tool: getSnapshotImageName, Problem: "imageIdentifier must be an image file name as get_snapshot lists it"}
		}
		if err := useRegionArg(env, in.OrganizationSlug, in.regionParam); err != nil {
			return Result{}, err
		}
		return snapshotImage(ctx, env, in.OrganizationSlug, id, img, true, orDefault(in.ImageResolution, "preview") == "full")
	})
}

// snapshotImage renders one snapshot image as get_snapshot_image shows it:
// with its files when fetch is set (full size or previews), else with
// where they are (get_sentry_resource, whose answers are text).
func snapshotImage(ctx context.Context, env *Env, org, id, name string, fetch, full bool) (Result, error) {
	c := env.Sentry
	if env.Project != "" {
		s, err := c.GetSnapshot(ctx, org, id)
		if err != nil {
			return Result{}, err
		}
		if err := checkPinnedProjectID(ctx, env, getSnapshotImageName, org, string(s.ProjectID), "snapshot "+id); err != nil {
			return Result{}, err
		}
	}
	d, err := c.GetSnapshotImage(ctx, org, id, name)
	if err != nil {
		return Result{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Image `%s` of snapshot %s in **%s**\n\n", name, id, org)
	fmt.Fprintf(&b, "- Link: %s?selectedSnapshot=%s\n", snapshotWebURL(env, org, id), strings.ReplaceAll(name, "&", "%26"))
	fmt.Fprintf(&b, "- Status: %s", orDefault(d.ComparisonStatus, "unknown"))
	if d.DiffPercentage != nil {
		fmt.Fprintf(&b, " · %s of pixels differ", diffPercent(*d.DiffPercentage))
	}
	if d.PreviousImageFileName != "" {
		fmt.Fprintf(&b, " · was `%s`", d.PreviousImageFileName)
	}
	b.WriteString("\n")
	if p := orSnapshotImage(d.HeadImage, d.BaseImage); p != nil {
		fmt.Fprintf(&b, "- %s", orDefault(p.DisplayName, p.ImageFileName))
		if p.Group != "" {
			fmt.Fprintf(&b, " (group %s)", p.Group)
		}
		if p.Width > 0 {
			fmt.Fprintf(&b, " · %d×%d", p.Width, p.Height)
		}
		b.WriteString("\n")
	}
	type file struct{ label, url string }
	var files []file
	if d.HeadImage != nil && d.HeadImage.ImageURL != "" {
		files = append(files, file{"current", d.HeadImage.ImageURL})
	}
	if d.BaseImage != nil && d.BaseImage.ImageURL != "" && (d.HeadImage == nil || d.BaseImage.ImageURL != d.HeadImage.ImageURL) {
		files = append(files, file{"base", d.BaseImage.ImageURL})
	}
	if d.DiffImageURL != "" {
		files = append(files, file{"diff mask", d.DiffImageURL})
	}
	if len(files) == 0 {
		b.WriteString("\nSentry has no image files for it.\n")
		return Result{Text: b.String()}, nil
	}
	res := Result{}
	total := 0
	b.WriteString("\n## Images\n\n")
	if !fetch {
		for _, f := range files {
			fmt.Fprintf(&b, "- %s: %s\n", f.label, apiURL(c, f.url))
		}
		fmt.Fprintf(&b, "\nThe images themselves: get_snapshot_image(organizationSlug='%s', snapshotId='%s', imageIdentifier='%s').\n", org, id, name)
		res.Text = b.String()
		return res, nil
	}
	for _, f := range files {
		data, mt, note, err := fetchSnapshotFile(ctx, c, org, f.url, full)
		switch {
		case errors.Is(err, sentry.ErrUntrustedRegion):
			fmt.Fprintf(&b, "- %s: hosted outside Sentry's API, not fetched: %s\n", f.label, f.url)
			continue
		case err != nil && bestEffort(err):
			fmt.Fprintf(&b, "- %s: could not be fetched (%s)\n", f.label, errorText(err))
			continue
		case err != nil:
			return Result{}, err
		case total+len(data) > maxMediaBytes:
			fmt.Fprintf(&b, "- %s: left out, the answer would exceed %s; ask for it alone or as a preview\n", f.label, sizeText(maxMediaBytes))
			continue
		}
		total += len(data)
		fmt.Fprintf(&b, "- %s: %s, %s%s (attached, image %d)\n", f.label, mt, sizeText(int64(len(data))), note, len(res.Media)+1)
		res.Media = append(res.Media, Media{Name: strings.ReplaceAll(f.label, " ", "-") + "-" + lastSegment(name), URI: apiURL(c, f.url), MIMEType: mt, Data: data, Image: true})
	}
	if !full && len(res.Media) > 0 {
		fmt.Fprintf(&b, "\nFull-size files: get_snapshot_image(organizationSlug='%s', snapshotId='%s', imageIdentifier='%s', imageResolution='full').\n", org, id, name)
	}
	res.Text = b.String()
	return res, nil
}

func orSnapshotImage(a, b *sentry.SnapshotImage) *sentry.SnapshotImage {
	if a != nil {
		return a
	}
	return b
}

func lastSegment(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

// apiURL makes a relative /api/0/ link absolute on the Sentry URL.
func apiURL(c *sentry.Client, ref string) string {
	if strings.HasPrefix(ref, "/") {
		return strings.TrimSuffix(c.BaseURL(), "/") + ref
	}
	return ref
}

// fetchSnapshotFile downloads one image file and, unless full, shrinks it
// to a preview. note says what was done to it.
func fetchSnapshotFile(ctx context.Context, c *sentry.Client, org, ref string, full bool) (data []byte, mediaType, note string, err error) {
	blob, err := c.DownloadOrgFile(ctx, org, ref, "project:read", maxFileBytes)
	if err != nil {
		return nil, "", "", err
	}
	mt := blob.MediaType()
	if !inlineImage(mt) {
		if sniffed := sniffImage(blob.Data); sniffed != "" {
			mt = sniffed
		} else {
			return nil, "", "", fmt.Errorf("the file is %s, not an image", orDefault(mt, "of unknown type"))
		}
	}
	if full {
		return blob.Data, mt, "", nil
	}
	small, smallType, err := previewImage(blob.Data)
	if err != nil {
		return blob.Data, mt, " (original: no preview could be made, " + err.Error() + ")", nil
	}
	if smallType == "" {
		return blob.Data, mt, " (original: small enough)", nil
	}
	return small, smallType, " (preview)", nil
}

func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	}
	return ""
}

// previewImage shrinks a PNG or JPEG so its longest side is previewMaxSide,
// averaging the source pixels each preview pixel covers. It returns a nil
// type when the image is small enough already. Oversized images are refused
// before they are decoded, so a hostile file cannot take the memory.
func previewImage(data []byte) ([]byte, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("not a PNG or JPEG")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > previewMaxPixels {
		return nil, "", fmt.Errorf("%d×%d pixels is too large", cfg.Width, cfg.Height)
	}
	if max(cfg.Width, cfg.Height) <= previewMaxSide {
		return nil, "", nil
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("the image does not decode")
	}
	w, h := cfg.Width, cfg.Height
	dw, dh := previewMaxSide, max(1, h*previewMaxSide/w)
	if h > w {
		dw, dh = max(1, w*previewMaxSide/h), previewMaxSide
	}
	at := pixelReader(src)
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	b := src.Bounds()
	for y := range dh {
		y0, y1 := y*h/dh, max((y+1)*h/dh, y*h/dh+1)
		for x := range dw {
			x0, x1 := x*w/dw, max((x+1)*w/dw, x*w/dw+1)
			var r, g, bl, a, n uint32
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					pr, pg, pb, pa := at(b.Min.X+sx, b.Min.Y+sy)
					r, g, bl, a, n = r+pr>>8, g+pg>>8, bl+pb>>8, a+pa>>8, n+1
				}
			}
			dst.SetNRGBA(x, y, color.NRGBA{R: uint8(r / n), G: uint8(g / n), B: uint8(bl / n), A: uint8(a / n)})
		}
	}
	var out bytes.Buffer
	if format == "jpeg" {
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80})
		return out.Bytes(), "image/jpeg", err
	}
	err = png.Encode(&out, dst)
	return out.Bytes(), "image/png", err
}

// pixelReader reads a pixel's non-premultiplied RGBA (16-bit), directly
// from the pixel buffer for the common kinds of image.
func pixelReader(img image.Image) func(x, y int) (r, g, b, a uint32) {
	nrgba := func(c color.Color) (uint32, uint32, uint32, uint32) {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		return uint32(n.R) * 0x101, uint32(n.G) * 0x101, uint32(n.B) * 0x101, uint32(n.A) * 0x101
	}
	switch m := img.(type) {
	case *image.Paletted:
		pal := make([][4]uint32, len(m.Palette))
		for i, c := range m.Palette {
			pal[i][0], pal[i][1], pal[i][2], pal[i][3] = nrgba(c)
		}
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			i := m.Pix[m.PixOffset(x, y)]
			if int(i) >= len(pal) {
				return 0, 0, 0, 0
			}
			p := pal[i]
			return p[0], p[1], p[2], p[3]
		}
	case *image.NRGBA:
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			o := m.PixOffset(x, y)
			return uint32(m.Pix[o]) * 0x101, uint32(m.Pix[o+1]) * 0x101, uint32(m.Pix[o+2]) * 0x101, uint32(m.Pix[o+3]) * 0x101
		}
	}
	return func(x, y int) (uint32, uint32, uint32, uint32) { return nrgba(img.At(x, y)) }
}
