package slack

import "testing"

func TestMrkdwn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"**bold** and __bold__", "*bold* and *bold*"},
		{"an *italic* word", "an _italic_ word"},
		{"~~gone~~", "~gone~"},
		{"see [CHECKOUT-1A](https://sentry.io/issues/1/?a=1&b=2)", "see <https://sentry.io/issues/1/?a=1&amp;b=2|CHECKOUT-1A>"},
		{"<https://sentry.io/x>", "<https://sentry.io/x>"},
		{"# Issues in **acme**", "*Issues in acme*"},
		{"### Next steps ###", "*Next steps*"},
		{"- one\n  * two", "• one\n  • two"},
		{"x < y & z > w", "x &lt; y &amp; z &gt; w"},
		{"<@U123> <!channel>", "&lt;@U123&gt; &lt;!channel&gt;"},
		{"`a **b** <c>` and **d**", "`a **b** &lt;c&gt;` and *d*"},
		{"```go\nif a < b {\n\t**x**\n}\n```", "```\nif a &lt; b {\n\t**x**\n}\n```"},
		{"```\nunterminated", "```\nunterminated\n```"},
		{"> quoted **text**", "> quoted *text*"},
		{"---", "───"},
		{"| a | b |\n| --- | --- |\n| [x](https://e.x/1) | 2 |\n| y | 3 |\n\nafter",
			"_a · b_\n• <https://e.x/1|x> · 2\n• y · 3\n\nafter"},
		{"2 * 3 * 4", "2 * 3 * 4"},
		{"snake_case_name", "snake_case_name"},
		{"odd ` backtick", "odd ` backtick"},
	} {
		if got := mrkdwn(tc.in); got != tc.want {
			t.Errorf("mrkdwn(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
