package tools

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

const loginImage = "snapshots-iphone-16/auth_login_screen.png"

func TestGetSnapshotImage(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_snapshot_image",
		args: `{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"` + loginImage + `"}`,
		want: []string{"# Image `" + loginImage + "` of snapshot 231949 in **acme**", "- Status: changed · 12.5% of pixels differ",
			"- login_screen.png (group auth) · 720×1280", "- current: image/png, ", "(preview) (attached, image 1)", "- base: image/png",
			"- diff mask: image/png", "(original: small enough) (attached, image 3)", "imageResolution='full'"},
		scope:    "project:read",
		noAccess: `{"organizationSlug":"globex","snapshotId":"` + sentrytest.GlobexSnapshotID + `","imageIdentifier":"cart.png"}`,
		notFound: `{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"nope.png"}`,
		badInput: []string{
			`{"organizationSlug":"acme","snapshotId":"231949"}`,
			`{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":""}`,
			`{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":".."}`,
			`{"organizationSlug":"acme","snapshotId":"abc","imageIdentifier":"x.png"}`,
			`{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"x.png","imageResolution":"huge"}`,
		},
	})
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

func TestGetSnapshotImageMedia(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, err := f.result("get_snapshot_image", `{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"`+loginImage+`"}`)
	if err != nil || len(res.Media) != 3 {
		t.Fatalf("preview: %v, %d media", err, len(res.Media))
	}
	// The 720×1280 screenshots become 576×1024 previews; the small diff
	// mask is sent as it is.
	for i, want := range [][2]int{{576, 1024}, {576, 1024}, {72, 128}} {
		m := res.Media[i]
		b := decodePNG(t, m.Data).Bounds()
		if !m.Image || m.MIMEType != "image/png" || b.Dx() != want[0] || b.Dy() != want[1] {
			t.Errorf("media %d (%s): %dx%d, image %t, want %dx%d", i, m.Name, b.Dx(), b.Dy(), m.Image, want[0], want[1])
		}
		if !strings.HasPrefix(m.URI, f.fake.URL+"/api/0/organizations/acme/") {
			t.Errorf("media %d URI %q", i, m.URI)
		}
	}
	res, err = f.result("get_snapshot_image", `{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"`+loginImage+`","imageResolution":"full"}`)
	if err != nil || len(res.Media) != 3 || decodePNG(t, res.Media[0].Data).Bounds().Dx() != 720 {
		t.Fatalf("full: %v, %d media", err, len(res.Media))
	}
	lacks(t, "full", res.Text, "imageResolution='full'")
}

// An image hosted outside Sentry's API (a signed storage URL) is named,
// never fetched: lookout sends requests only to Sentry.
func TestGetSnapshotImageHostedElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, err := f.result("get_snapshot_image", `{"organizationSlug":"acme","snapshotId":"231949","imageIdentifier":"snapshots-iphone-16/dialogs_new_modal.png"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Media) != 0 {
		t.Errorf("%d media fetched", len(res.Media))
	}
	contains(t, "hosted elsewhere", res.Text, "- Status: added", "current: hosted outside Sentry's API, not fetched: https://storage.acme-cdn.example/")
}

// A preview is the average of the pixels it covers, and an image too large
// to decode safely is refused from its header alone.
func TestPreviewImage(t *testing.T) {
	t.Parallel()
	src := image.NewNRGBA(image.Rect(0, 0, 2048, 4))
	for x := range 2048 {
		for y := range 4 {
			if x%2 == 0 {
				src.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
			} else {
				src.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	out, mt, err := previewImage(buf.Bytes())
	if err != nil || mt != "image/png" {
		t.Fatalf("previewImage: %v %q", err, mt)
	}
	img := decodePNG(t, out)
	if b := img.Bounds(); b.Dx() != 1024 || b.Dy() != 2 {
		t.Fatalf("preview %v", b)
	}
	if c := color.NRGBAModel.Convert(img.At(10, 1)).(color.NRGBA); c.R < 120 || c.R > 135 {
		t.Errorf("preview pixel %v, want the grey average of black and white", c)
	}
	// Only the header of a 15 Mpx PNG: its size is refused before the
	// (absent) pixels are read.
	if _, _, err := previewImage(pngHeader(5000, 3000)); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("15 Mpx image: %v", err)
	}
	if out, mt, err := previewImage(buf.Bytes()[:40]); err == nil {
		t.Errorf("a truncated PNG made a preview: %d bytes %s", len(out), mt)
	}
}

// pngHeader is a PNG signature and IHDR chunk for a w×h 8-bit grey image.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}
