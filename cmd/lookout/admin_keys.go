//go:build !stdio

package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// keyJSON is one key id in `admin keys check --json`.
type keyJSON struct {
	ID         string `json:"id"`
	Grants     int    `json:"grants"`
	Configured bool   `json:"configured"`
	Primary    bool   `json:"primary"`
	// Unreadable counts its grants that do not open: all of them when the
	// key is missing; with the key, tampered or corrupted ones.
	Unreadable int `json:"unreadable"`
}

// keysJSON is `admin keys check --json`.
type keysJSON struct {
	Primary string    `json:"primary"`
	Keys    []keyJSON `json:"keys"`
	// Missing are key ids grants are sealed under that
	// LOOKOUT_ENCRYPTION_KEYS lacks: those grants cannot be used.
	Missing []string `json:"missing"`
	// NotPrimary counts grants under a configured key other than the
	// primary: `keys rotate` moves them.
	NotPrimary int `json:"not_primary"`
}

// errKeysMissing and errUnreadable make `keys check` exit 1 when grants
// cannot be opened.
var (
	errKeysMissing = errors.New("grants are sealed under keys LOOKOUT_ENCRYPTION_KEYS lacks: add them back (rotate before removing a key)")
	errUnreadable  = errors.New("grants do not open with their key (tampered or corrupted): their owners must connect again; `lookout admin grants list --stale` names them")
)

func runAdminKeysCheck(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "keys check").withJSON()
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, true)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	counts, unreadable := map[string]int{}, map[string]int{}
	for after := ""; ; {
		page, err := s.vault.Records(ctx, after, 500)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			after = r.Principal
			counts[r.KeyID]++
			if r.Problem != "" {
				unreadable[r.KeyID]++
			}
		}
	}
	configured := s.vault.Keys()
	rep := keysJSON{Primary: configured[0], Keys: []keyJSON{}, Missing: []string{}}
	for i, id := range configured {
		rep.Keys = append(rep.Keys, keyJSON{ID: id, Grants: counts[id], Configured: true, Primary: i == 0, Unreadable: unreadable[id]})
		if i > 0 {
			rep.NotPrimary += counts[id]
		}
	}
	for _, id := range slices.Sorted(maps.Keys(counts)) {
		if !slices.Contains(configured, id) {
			rep.Keys = append(rep.Keys, keyJSON{ID: id, Grants: counts[id], Unreadable: counts[id]})
			rep.Missing = append(rep.Missing, id)
		}
	}
	if f.json {
		if err := printJSON(env.stdout, rep); err != nil {
			return err
		}
	} else {
		rows := make([][]string, 0, len(rep.Keys))
		for _, k := range rep.Keys {
			status := "configured"
			switch {
			case !k.Configured:
				status = "MISSING: these grants cannot be used until the key is added back"
			case k.Primary:
				status = "primary: seals new grants"
			case k.Grants == 0:
				status = "configured, unused: can be removed"
			}
			if k.Configured && k.Unreadable > 0 {
				status += fmt.Sprintf("; %d do NOT open (tampered or corrupted)", k.Unreadable)
			}
			rows = append(rows, []string{k.ID, strconv.Itoa(k.Grants), status})
		}
		if err := table(env.stdout, []string{"KEY ID", "GRANTS", "STATUS"}, rows); err != nil {
			return err
		}
		if rep.NotPrimary > 0 {
			fmt.Fprintf(env.stdout, "\n%d grants are sealed under an older key: run `%s admin keys rotate` before removing it.\n", rep.NotPrimary, env.selfName())
		}
	}
	bad := 0
	for _, k := range rep.Keys {
		if k.Configured {
			bad += k.Unreadable
		}
	}
	switch {
	case len(rep.Missing) > 0:
		return errKeysMissing
	case bad > 0:
		return errUnreadable
	}
	return nil
}

func runAdminKeysRotate(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "keys rotate")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, true)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	primary := s.vault.Keys()[0]
	rep, err := s.vault.Rotate(ctx)
	fmt.Fprintf(env.stdout, "Scanned %d grants: re-sealed %d under key %s, %d were already under it, %d could not be opened.\n",
		rep.Scanned, rep.Rotated, primary, rep.Current, rep.Failed)
	if err != nil {
		return fmt.Errorf("rotation stopped (run it again to finish; it skips grants already done): %w", err)
	}
	if rep.Failed > 0 {
		return fmt.Errorf("%d grants could not be re-sealed (see `%s admin grants list --stale`): keep their keys, or revoke those grants, before removing a key", rep.Failed, env.selfName())
	}
	others := s.vault.Keys()[1:]
	if len(others) > 0 {
		fmt.Fprintf(env.stdout, "Every grant is under %s now: keys %v can be removed from LOOKOUT_ENCRYPTION_KEYS once every replica runs with %s first.\n", primary, others, primary)
	}
	return nil
}

// selfName is how the user invoked lookout, for commands printed back.
func (env *environment) selfName() string {
	if env.self == "" {
		return "lookout"
	}
	return env.self
}
