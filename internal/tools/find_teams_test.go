package tools

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindTeams(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "find_teams",
		args:     `{"organizationSlug":"acme"}`,
		want:     []string{"# Teams in **acme**", "| frontend | Frontend | 4506000000000011 | 2 | member |", "| payments |", "| platform |"},
		scope:    "team:read",
		notFound: `{"organizationSlug":"nope"}`,
		badInput: []string{`{}`, `{"organizationSlug":5}`, `{"organizationSlug":"acme","query":7}`, `{"organizationSlug":"acme/web"}`, `{"organizationSlug":".."}`},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_teams", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

func TestFindTeamsQueryAndRegion(t *testing.T) {
	f := newFixture(t)
	alice := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(alice, "find_teams", `{"organizationSlug":"acme","query":"PAY"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| payments |") || strings.Contains(out, "frontend") || strings.Contains(out, "platform") {
		t.Errorf("query filter:\n%s", out)
	}
	out, err = f.call(alice, "find_teams", `{"organizationSlug":"acme","query":"zzz"}`)
	if err != nil || !strings.Contains(out, "No team of **acme** matches") {
		t.Errorf("no match: %v\n%s", err, out)
	}

	f.fake.ClearRequests()
	out, err = f.call(alice, "find_teams", fmt.Sprintf(`{"organizationSlug":"globex","regionUrl":%q}`, f.fake.RegionURL("de")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| apps |") || !strings.Contains(out, "| core |") {
		t.Errorf("globex teams:\n%s", out)
	}
	for _, r := range f.fake.Requests() {
		if r.Region != "de" {
			t.Errorf("regionUrl ignored: %s went to %s", r.Path, r.Region)
		}
	}
}

func TestFindTeamsRefusesUntrustedRegion(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "find_teams", `{"organizationSlug":"acme","regionUrl":"https://evil.example.com"}`)
	if !errors.Is(err, sentry.ErrUntrustedRegion) {
		t.Fatalf("err = %v, want ErrUntrustedRegion", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent despite a hostile regionUrl", n)
	}
}

func TestCollectPagesStopsAndSaysMore(t *testing.T) {
	// Three pages of 1..9; keep odd numbers.
	pager := func(calls *int) func(string) ([]int, sentry.Page, error) {
		return func(cursor string) ([]int, sentry.Page, error) {
			*calls++
			switch cursor {
			case "":
				return []int{1, 2, 3}, sentry.Page{NextCursor: "p2"}, nil
			case "p2":
				return []int{4, 5, 6}, sentry.Page{NextCursor: "p3"}, nil
			default:
				return []int{7, 8, 9}, sentry.Page{}, nil
			}
		}
	}
	odd := func(n int) bool { return n%2 == 1 }
	for _, c := range []struct {
		want, maxPages int
		keep           func(int) bool
		items          []int
		more           bool
		calls          int
	}{
		{want: 10, maxPages: 5, keep: odd, items: []int{1, 3, 5, 7, 9}, more: false, calls: 3},
		{want: 2, maxPages: 5, keep: odd, items: []int{1, 3}, more: true, calls: 1},
		{want: 3, maxPages: 5, keep: nil, items: []int{1, 2, 3}, more: true, calls: 1},
		{want: 10, maxPages: 2, keep: odd, items: []int{1, 3, 5}, more: true, calls: 2},
	} {
		calls := 0
		items, more, err := collectPages(c.want, c.maxPages, pager(&calls), c.keep)
		if err != nil || fmt.Sprint(items) != fmt.Sprint(c.items) || more != c.more || calls != c.calls {
			t.Errorf("collectPages(want %d, pages %d) = %v, more %t, %d calls; want %v, %t, %d calls",
				c.want, c.maxPages, items, more, calls, c.items, c.more, c.calls)
		}
	}
}
