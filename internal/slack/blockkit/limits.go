// Package blockkit holds Slack's documented Block Kit limits and a checker
// that holds a payload to them. Slack refuses a message, a Home tab or an
// unfurl whose blocks break any limit (invalid_blocks) and posts nothing,
// so the bot checks what it builds before sending it (and falls back to
// text), and the fake Slack (slacktest) refuses what real Slack would:
// every test that posts blocks checks them.
//
// The checker reads the JSON that goes on the wire, so it holds any
// builder to the same rules. It knows the blocks and elements lookout
// uses (section, header, context, actions, divider; button, static
// select, overflow, image) and refuses others rather than guess.
//
// Lengths are counted in UTF-16 code units, which is never fewer than the
// characters Slack counts, so a payload that passes here passes there.
package blockkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Limits, from Slack's Block Kit reference (docs.slack.dev/reference/block-kit):
// blocks, the section, header, context and actions blocks, the button,
// static select and overflow elements, and the text, option and
// confirmation dialog composition objects.
const (
	MaxMessageBlocks = 50  // blocks in one message (chat.postMessage, chat.update, response_url, an unfurl)
	MaxViewBlocks    = 100 // blocks in a Home tab or a modal

	MaxBlockID       = 255  // block_id
	MaxActionID      = 255  // action_id
	MaxTextObject    = 3000 // any text object, and a section's text
	MaxSectionFields = 10   // fields of a section
	MaxFieldText     = 2000 // text of one section field
	MaxHeaderText    = 150  // a header's plain_text
	MaxContextItems  = 10   // elements of a context block
	MaxActionsItems  = 25   // elements of an actions block

	MaxButtonText  = 75   // a button's text
	MaxButtonValue = 2000 // a button's value
	MaxURL         = 3000 // a button's or an overflow option's url

	MaxPlaceholder   = 150 // a select's placeholder
	MaxSelectOptions = 100 // options of a static select
	MaxOverflowItems = 5   // options of an overflow menu
	MinOverflowItems = 1
	MaxOptionText    = 75  // an option's text
	MaxOptionValue   = 150 // an option's value

	MaxConfirmTitle  = 100 // a confirmation dialog's title
	MaxConfirmText   = 300 // its text
	MaxConfirmButton = 30  // its confirm and deny labels

	MaxImageAlt = 2000 // an image element's alt_text
)

// Surface is where blocks are shown; surfaces differ in how many they take.
type Surface int

const (
	// Message: a message posted, updated, sent through a response_url, or
	// an unfurl's blocks.
	Message Surface = iota
	// View: a Home tab (views.publish) or a modal.
	View
)

func (s Surface) maxBlocks() int {
	if s == View {
		return MaxViewBlocks
	}
	return MaxMessageBlocks
}

func (s Surface) String() string {
	if s == View {
		return "view"
	}
	return "message"
}

// Len is a string's length as this package counts it: UTF-16 code units.
func Len(s string) int { return len(utf16.Encode([]rune(s))) }

// Check reports every way blocks (a JSON array of blocks) break a limit of
// surface, joined into one error; nil when they break none.
func Check(surface Surface, blocks []byte) error {
	var list []map[string]any
	if err := json.Unmarshal(blocks, &list); err != nil {
		return fmt.Errorf("blocks are not a JSON array of objects: %w", err)
	}
	c := &checker{}
	if len(list) > surface.maxBlocks() {
		c.addf("blocks", "%d blocks, more than the %d a %s takes", len(list), surface.maxBlocks(), surface)
	}
	ids := map[string]bool{}
	for i, b := range list {
		path := fmt.Sprintf("blocks[%d]", i)
		if id, ok := b["block_id"].(string); ok {
			c.length(path+".block_id", id, 1, MaxBlockID)
			if ids[id] {
				c.addf(path+".block_id", "%q is used by an earlier block", id)
			}
			ids[id] = true
		}
		c.block(path, b)
	}
	return c.err()
}

// CheckValue is Check of a value that marshals to a block array (such as
// slack-go's []slack.Block).
func CheckValue(surface Surface, blocks any) error {
	b, err := json.Marshal(blocks)
	if err != nil {
		return fmt.Errorf("blocks do not encode: %w", err)
	}
	return Check(surface, b)
}

type checker struct{ problems []string }

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return errors.New("block kit: " + strings.Join(c.problems, "; "))
}

func (c *checker) length(path, s string, minLen, maxLen int) {
	n := Len(s)
	switch {
	case n < minLen:
		c.addf(path, "empty, at least %d character(s) needed", minLen)
	case n > maxLen:
		c.addf(path, "%d characters, more than %d", n, maxLen)
	}
}

func (c *checker) count(path string, n, minN, maxN int) {
	switch {
	case n < minN:
		c.addf(path, "%d item(s), at least %d needed", n, minN)
	case n > maxN:
		c.addf(path, "%d items, more than %d", n, maxN)
	}
}

func (c *checker) block(path string, b map[string]any) {
	switch typ, _ := b["type"].(string); typ {
	case "section":
		text, hasText := b["text"].(map[string]any)
		fields, _ := b["fields"].([]any)
		if !hasText && len(fields) == 0 {
			c.addf(path, "a section needs text or fields")
		}
		if hasText {
			c.text(path+".text", text, MaxTextObject, false)
		}
		if _, ok := b["fields"]; ok {
			c.count(path+".fields", len(fields), 1, MaxSectionFields)
			for i, f := range fields {
				fm, _ := f.(map[string]any)
				c.text(fmt.Sprintf("%s.fields[%d]", path, i), fm, MaxFieldText, false)
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(path+".accessory", acc)
		}
	case "header":
		t, _ := b["text"].(map[string]any)
		c.text(path+".text", t, MaxHeaderText, true)
	case "context":
		elems, _ := b["elements"].([]any)
		c.count(path+".elements", len(elems), 1, MaxContextItems)
		for i, e := range elems {
			em, _ := e.(map[string]any)
			p := fmt.Sprintf("%s.elements[%d]", path, i)
			if t, _ := em["type"].(string); t == "image" {
				c.image(p, em)
			} else {
				c.text(p, em, MaxTextObject, false)
			}
		}
	case "actions":
		elems, _ := b["elements"].([]any)
		c.count(path+".elements", len(elems), 1, MaxActionsItems)
		ids := map[string]bool{}
		for i, e := range elems {
			em, _ := e.(map[string]any)
			p := fmt.Sprintf("%s.elements[%d]", path, i)
			c.element(p, em)
			if id, _ := em["action_id"].(string); id != "" {
				if ids[id] {
					c.addf(p+".action_id", "%q is used by an earlier element of the block", id)
				}
				ids[id] = true
			}
		}
	case "divider":
	default:
		c.addf(path+".type", "%q is not a block type lookout sends", typ)
	}
}

// text checks a text object: plain_text or mrkdwn, 1 to max characters.
func (c *checker) text(path string, t map[string]any, maxLen int, plainOnly bool) {
	if t == nil {
		c.addf(path, "missing text object")
		return
	}
	switch typ, _ := t["type"].(string); {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.addf(path+".type", "%q, must be plain_text", typ)
	default:
		c.addf(path+".type", "%q, must be plain_text or mrkdwn", typ)
	}
	s, _ := t["text"].(string)
	c.length(path+".text", s, 1, maxLen)
}

func (c *checker) image(path string, e map[string]any) {
	u, _ := e["image_url"].(string)
	c.length(path+".image_url", u, 1, MaxURL)
	alt, _ := e["alt_text"].(string)
	c.length(path+".alt_text", alt, 1, MaxImageAlt)
}

func (c *checker) actionID(path string, e map[string]any) {
	if id, ok := e["action_id"].(string); ok {
		c.length(path+".action_id", id, 1, MaxActionID)
	}
}

func (c *checker) element(path string, e map[string]any) {
	switch typ, _ := e["type"].(string); typ {
	case "button":
		t, _ := e["text"].(map[string]any)
		c.text(path+".text", t, MaxButtonText, true)
		c.actionID(path, e)
		if v, ok := e["value"].(string); ok {
			c.length(path+".value", v, 0, MaxButtonValue)
		}
		if u, ok := e["url"].(string); ok {
			c.length(path+".url", u, 1, MaxURL)
		}
		if s, ok := e["style"].(string); ok && s != "primary" && s != "danger" {
			c.addf(path+".style", "%q, must be primary or danger", s)
		}
		c.confirm(path, e)
	case "static_select":
		c.actionID(path, e)
		if p, ok := e["placeholder"].(map[string]any); ok {
			c.text(path+".placeholder", p, MaxPlaceholder, true)
		}
		opts, _ := e["options"].([]any)
		c.count(path+".options", len(opts), 1, MaxSelectOptions)
		values := map[string]bool{}
		for i, o := range opts {
			om, _ := o.(map[string]any)
			p := fmt.Sprintf("%s.options[%d]", path, i)
			c.option(p, om, false)
			v, _ := om["value"].(string)
			if values[v] {
				c.addf(p+".value", "%q is the value of an earlier option", v)
			}
			values[v] = true
		}
		if init, ok := e["initial_option"].(map[string]any); ok {
			c.option(path+".initial_option", init, false)
			if v, _ := init["value"].(string); !values[v] {
				c.addf(path+".initial_option", "%q is not one of the options", v)
			}
		}
		c.confirm(path, e)
	case "overflow":
		c.actionID(path, e)
		opts, _ := e["options"].([]any)
		c.count(path+".options", len(opts), MinOverflowItems, MaxOverflowItems)
		for i, o := range opts {
			om, _ := o.(map[string]any)
			c.option(fmt.Sprintf("%s.options[%d]", path, i), om, true)
		}
		c.confirm(path, e)
	case "image":
		c.image(path, e)
	default:
		c.addf(path+".type", "%q is not an element type lookout sends", typ)
	}
}

func (c *checker) option(path string, o map[string]any, withURL bool) {
	if o == nil {
		c.addf(path, "missing option")
		return
	}
	t, _ := o["text"].(map[string]any)
	c.text(path+".text", t, MaxOptionText, true)
	v, _ := o["value"].(string)
	c.length(path+".value", v, 1, MaxOptionValue)
	if u, ok := o["url"].(string); ok {
		if !withURL {
			c.addf(path+".url", "only overflow menu options take a url")
		}
		c.length(path+".url", u, 1, MaxURL)
	}
}

func (c *checker) confirm(path string, e map[string]any) {
	cf, ok := e["confirm"].(map[string]any)
	if !ok {
		return
	}
	path += ".confirm"
	for _, f := range []struct {
		key   string
		max   int
		plain bool
	}{{"title", MaxConfirmTitle, true}, {"text", MaxConfirmText, false}, {"confirm", MaxConfirmButton, true}, {"deny", MaxConfirmButton, true}} {
		t, _ := cf[f.key].(map[string]any)
		c.text(path+"."+f.key, t, f.max, f.plain)
	}
}

// Clip cuts s to at most maxLen (as Len counts), ending with "…" when it
// cut, on a rune boundary.
func Clip(s string, maxLen int) string {
	if Len(s) <= maxLen {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := len(utf16.Encode([]rune{r}))
		if n+w > maxLen-1 { // room for the ellipsis
			break
		}
		b.WriteRune(r)
		n += w
	}
	return strings.TrimRight(b.String(), " \n") + "…"
}
