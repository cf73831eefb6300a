package blockkit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func mrkdwn(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }
func plain(s string) map[string]any  { return map[string]any{"type": "plain_text", "text": s} }

func section(s string) map[string]any { return map[string]any{"type": "section", "text": mrkdwn(s)} }

func button(text, id string) map[string]any {
	return map[string]any{"type": "button", "text": plain(text), "action_id": id, "value": "v"}
}

func check(t *testing.T, surface Surface, blocks ...map[string]any) error {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return Check(surface, b)
}

func repeat(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = section("row")
	}
	return out
}

func TestCheckAcceptsEveryLimitExactly(t *testing.T) {
	t.Parallel()
	fields := make([]any, MaxSectionFields)
	for i := range fields {
		fields[i] = mrkdwn(strings.Repeat("f", MaxFieldText))
	}
	ctx := make([]any, MaxContextItems)
	for i := range ctx {
		ctx[i] = mrkdwn("c")
	}
	actions := make([]any, MaxActionsItems)
	for i := range actions {
		actions[i] = button(strings.Repeat("b", MaxButtonText), fmt.Sprintf("a%d", i))
	}
	opts := make([]any, MaxSelectOptions)
	for i := range opts {
		opts[i] = map[string]any{"text": plain(strings.Repeat("o", MaxOptionText)), "value": fmt.Sprintf("%0*d", MaxOptionValue, i)}
	}
	blocks := []map[string]any{
		{"type": "header", "text": plain(strings.Repeat("h", MaxHeaderText))},
		{"type": "section", "block_id": strings.Repeat("i", MaxBlockID), "text": mrkdwn(strings.Repeat("t", MaxTextObject)), "fields": fields},
		{"type": "context", "elements": ctx},
		{"type": "actions", "elements": actions},
		{"type": "actions", "elements": []any{map[string]any{"type": "static_select", "action_id": strings.Repeat("x", MaxActionID),
			"placeholder": plain(strings.Repeat("p", MaxPlaceholder)), "options": opts, "initial_option": opts[3]}}},
		{"type": "divider"},
		{"type": "section", "text": mrkdwn("menu"), "accessory": map[string]any{"type": "overflow", "action_id": "o", "options": opts[:MaxOverflowItems]}},
		{"type": "section", "text": mrkdwn("confirm"), "accessory": map[string]any{"type": "button", "text": plain("Go"), "action_id": "go",
			"url": "https://x/" + strings.Repeat("u", MaxURL-10), "value": strings.Repeat("v", MaxButtonValue), "style": "danger",
			"confirm": map[string]any{"title": plain(strings.Repeat("t", MaxConfirmTitle)), "text": mrkdwn(strings.Repeat("t", MaxConfirmText)),
				"confirm": plain(strings.Repeat("y", MaxConfirmButton)), "deny": plain(strings.Repeat("n", MaxConfirmButton))}}},
	}
	if err := check(t, Message, blocks...); err != nil {
		t.Fatalf("a payload at every limit was refused: %v", err)
	}
	if err := check(t, Message, repeat(MaxMessageBlocks)...); err != nil {
		t.Fatalf("%d blocks in a message: %v", MaxMessageBlocks, err)
	}
	if err := check(t, View, repeat(MaxViewBlocks)...); err != nil {
		t.Fatalf("%d blocks in a view: %v", MaxViewBlocks, err)
	}
}

func TestCheckRefusesEachLimitPlusOne(t *testing.T) {
	t.Parallel()
	over := func(n int) string { return strings.Repeat("x", n+1) }
	withFields := func(n, length int) map[string]any {
		fs := make([]any, n)
		for i := range fs {
			fs[i] = mrkdwn(strings.Repeat("f", length))
		}
		return map[string]any{"type": "section", "fields": fs}
	}
	elems := func(n int, mk func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = mk(i)
		}
		return out
	}
	sel := func(opts []any, extra map[string]any) map[string]any {
		e := map[string]any{"type": "static_select", "action_id": "s", "options": opts}
		for k, v := range extra {
			e[k] = v
		}
		return map[string]any{"type": "actions", "elements": []any{e}}
	}
	opt := func(text, value string) any { return map[string]any{"text": plain(text), "value": value} }
	tests := []struct {
		name    string
		surface Surface
		blocks  []map[string]any
		want    string
	}{
		{"message blocks", Message, repeat(MaxMessageBlocks + 1), "51 blocks"},
		{"view blocks", View, repeat(MaxViewBlocks + 1), "101 blocks"},
		{"section text", Message, []map[string]any{section(over(MaxTextObject))}, "blocks[0].text.text: 3001 characters"},
		{"empty section text", Message, []map[string]any{section("")}, "blocks[0].text.text: empty"},
		{"section without text", Message, []map[string]any{{"type": "section"}}, "needs text or fields"},
		{"fields count", Message, []map[string]any{withFields(MaxSectionFields+1, 1)}, "fields: 11 items"},
		{"field text", Message, []map[string]any{withFields(1, MaxFieldText+1)}, "fields[0].text: 2001 characters"},
		{"header text", Message, []map[string]any{{"type": "header", "text": plain(over(MaxHeaderText))}}, "151 characters"},
		{"header mrkdwn", Message, []map[string]any{{"type": "header", "text": mrkdwn("h")}}, "must be plain_text"},
		{"context elements", Message, []map[string]any{{"type": "context", "elements": elems(MaxContextItems+1, func(int) any { return mrkdwn("c") })}}, "elements: 11 items"},
		{"actions elements", Message, []map[string]any{{"type": "actions", "elements": elems(MaxActionsItems+1, func(i int) any { return button("b", fmt.Sprint(i)) })}}, "elements: 26 items"},
		{"duplicate action ids", Message, []map[string]any{{"type": "actions", "elements": []any{button("a", "same"), button("b", "same")}}}, "used by an earlier element"},
		{"button text", Message, []map[string]any{{"type": "actions", "elements": []any{button(over(MaxButtonText), "a")}}}, "76 characters"},
		{"button value", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": plain("b"), "value": over(MaxButtonValue)}}}}, "value: 2001"},
		{"button url", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": plain("b"), "url": over(MaxURL)}}}}, "url: 3001"},
		{"button style", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": plain("b"), "style": "green"}}}}, "must be primary or danger"},
		{"action id", Message, []map[string]any{{"type": "actions", "elements": []any{button("b", over(MaxActionID))}}}, "action_id: 256"},
		{"block id", Message, []map[string]any{{"type": "divider", "block_id": over(MaxBlockID)}}, "block_id: 256"},
		{"duplicate block ids", Message, []map[string]any{{"type": "divider", "block_id": "d"}, {"type": "divider", "block_id": "d"}}, "used by an earlier block"},
		{"select options", Message, []map[string]any{sel(elems(MaxSelectOptions+1, func(i int) any { return opt("o", fmt.Sprint(i)) }), nil)}, "options: 101 items"},
		{"option text", Message, []map[string]any{sel([]any{opt(over(MaxOptionText), "v")}, nil)}, "options[0].text.text: 76"},
		{"option value", Message, []map[string]any{sel([]any{opt("o", over(MaxOptionValue))}, nil)}, "options[0].value: 151"},
		{"placeholder", Message, []map[string]any{sel([]any{opt("o", "v")}, map[string]any{"placeholder": plain(over(MaxPlaceholder))})}, "placeholder.text: 151"},
		{"initial option not an option", Message, []map[string]any{sel([]any{opt("o", "v")}, map[string]any{"initial_option": opt("p", "w")})}, "not one of the options"},
		{"overflow options", Message, []map[string]any{{"type": "section", "text": mrkdwn("m"), "accessory": map[string]any{"type": "overflow", "options": elems(MaxOverflowItems+1, func(i int) any { return opt("o", fmt.Sprint(i)) })}}}, "options: 6 items"},
		{"confirm title", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": plain("b"), "confirm": map[string]any{
			"title": plain(over(MaxConfirmTitle)), "text": mrkdwn("t"), "confirm": plain("y"), "deny": plain("n")}}}}}, "confirm.title.text: 101"},
		{"confirm deny", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": plain("b"), "confirm": map[string]any{
			"title": plain("t"), "text": mrkdwn("t"), "confirm": plain("y"), "deny": plain(over(MaxConfirmButton))}}}}}, "confirm.deny.text: 31"},
		{"unknown block", Message, []map[string]any{{"type": "table"}}, `"table" is not a block type`},
		{"unknown element", Message, []map[string]any{{"type": "actions", "elements": []any{map[string]any{"type": "datepicker"}}}}, `"datepicker" is not an element type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := check(t, tt.surface, tt.blocks...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLenCountsUTF16(t *testing.T) {
	t.Parallel()
	if got := Len("a😀é"); got != 4 {
		t.Fatalf("Len = %d, want 4 (an emoji outside the BMP is two units)", got)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"a longer sentence", 9, "a longer…"},
		{"😀😀😀😀", 5, "😀😀…"},
	} {
		got := Clip(tt.in, tt.max)
		if got != tt.want || Len(got) > tt.max {
			t.Errorf("Clip(%q, %d) = %q (len %d), want %q", tt.in, tt.max, got, Len(got), tt.want)
		}
	}
}
