//go:build !stdio

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// `lookout admin` is for operators: it works on the database `serve` uses
// (DATABASE_URL, with LOOKOUT_ENCRYPTION_KEYS where grants must be opened),
// prints a table for people or JSON (--json) for scripts, and never prints
// a token or key bytes: grants are shown by their metadata, lookout's own
// tokens exist only as hashes, and keys by their ids.

// adminCommand is one `lookout admin` subcommand (a separate type from
// command: these are not top-level commands).
type adminCommand struct {
	name    string // "grants list"
	args    string // synopsis after the name and flags
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

func adminCommands() []adminCommand {
	return []adminCommand{
		{"grants list", "[--stale] [--json]", "list Sentry grants: principal, Sentry user, scopes, key, expiry, last use, state", runAdminGrantsList},
		{"grants revoke", "PRINCIPAL", "delete a grant and revoke every lookout token issued on it", runAdminGrantsRevoke},
		{"clients list", "[--json]", "list MCP clients: registered and metadata-document ones, last use, tokens, approvals", runAdminClientsList},
		{"clients revoke", "CLIENT_ID", "revoke a client's tokens, approvals, registration and the grants behind them", runAdminClientsRevoke},
		{"keys check", "[--json]", "count grants per encryption key id and name the ids LOOKOUT_ENCRYPTION_KEYS lacks", runAdminKeysCheck},
		{"keys rotate", "", "re-seal every grant under the first key of LOOKOUT_ENCRYPTION_KEYS (resumable)", runAdminKeysRotate},
		{"audit", "[--principal=P] [--action=A] [--since=24h] [--limit=N] [--json]", "show the audit log, newest first", runAdminAudit},
	}
}

// adminExitCodes is the part of every admin --help that says what the exit
// status means.
const adminExitCodes = `exit status: 0 done; 1 failed, or (keys check, keys rotate) a problem to act on;
2 bad usage.
`

// runAdmin dispatches `lookout admin <group> [<action>] ...`.
func runAdmin(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		w := env.stdout
		if len(args) == 0 {
			w = env.stderr
		}
		adminUsage(w, "")
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	group := args[0]
	var known bool
	for _, c := range adminCommands() {
		g, action, _ := strings.Cut(c.name, " ")
		if g != group {
			continue
		}
		known = true
		if action == "" {
			return c.run(ctx, env, args[1:])
		}
		if len(args) > 1 && args[1] == action {
			return c.run(ctx, env, args[2:])
		}
	}
	if !known {
		fmt.Fprintf(env.stderr, "lookout admin: unknown subcommand %q\n\n", group)
		adminUsage(env.stderr, "")
		return errUsage
	}
	if len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help" || args[1] == "help") {
		adminUsage(env.stdout, group)
		return flag.ErrHelp
	}
	if len(args) > 1 {
		fmt.Fprintf(env.stderr, "lookout admin %s: unknown subcommand %q\n\n", group, args[1])
	}
	adminUsage(env.stderr, group)
	return errUsage
}

// adminUsage lists the admin subcommands (of group, when given).
func adminUsage(w io.Writer, group string) {
	fmt.Fprintln(w, "usage: lookout admin <subcommand> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "subcommands:")
	for _, c := range adminCommands() {
		if group != "" && !strings.HasPrefix(c.name+" ", group+" ") {
			continue
		}
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "They use the database and keys `lookout serve` uses: DATABASE_URL and LOOKOUT_ENCRYPTION_KEYS.")
	fmt.Fprintln(w, "Run 'lookout admin <subcommand> --help' for its flags.")
	fmt.Fprintln(w)
	fmt.Fprint(w, adminExitCodes)
}

// adminFlags are the flags every admin subcommand has.
type adminFlags struct {
	fs   *flag.FlagSet
	env  *envFlags
	json bool
}

func newAdminFlags(env *environment, name string) *adminFlags {
	var c adminCommand
	for _, ac := range adminCommands() {
		if ac.name == name {
			c = ac
		}
	}
	fs := newFlagSet(env, "admin "+name, "")
	setHelp(env, fs, strings.TrimSpace("admin "+name+" "+c.args),
		strings.ToUpper(c.summary[:1])+c.summary[1:]+".\n\n"+adminEnvHelp+"\n\n"+adminExitCodes)
	f := &adminFlags{fs: fs, env: newEnvFlags(fs)}
	f.env.string("database-url", "DATABASE_URL", "the database lookout serve uses (default sqlite://./lookout.db)")
	return f
}

const adminEnvHelp = `It reads DATABASE_URL, and LOOKOUT_ENCRYPTION_KEYS where grants are opened, as serve does;
a flag above wins over its variable.`

func (f *adminFlags) withJSON() *adminFlags {
	f.fs.BoolVar(&f.json, "json", false, "print JSON for scripts instead of a table")
	return f
}

// parseArg parses flags around exactly one positional argument, named
// what, wherever it stands: "revoke mcp:x --json" and "revoke --json
// mcp:x" both work.
func parseArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
		if err := parseFlags(fs, args); err != nil {
			return "", err
		}
		return arg, nil
	}
	out, help := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = help
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return "", err
	case err != nil:
		fmt.Fprintf(out, "%s: %s\n", fs.Name(), singleDash.ReplaceAllString(err.Error(), "$1--$2"))
	case fs.NArg() == 0:
		fmt.Fprintf(out, "%s: missing %s\n", fs.Name(), what)
	case fs.NArg() > 1:
		fmt.Fprintf(out, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(1))
	default:
		return fs.Arg(0), nil
	}
	fmt.Fprintf(out, "Run '%s --help' for its flags.\n", fs.Name())
	return "", errUsage
}

// adminSession is an open database, and a vault when keys are needed.
type adminSession struct {
	store  store.Store
	vault  *vault.Vault // nil unless opened with keys
	cfg    *config.Config
	logger *slog.Logger
	now    func() time.Time
}

// openAdmin opens the database `serve` uses, migrated as serve would, and
// the vault when withKeys.
func openAdmin(ctx context.Context, env *environment, f *adminFlags, withKeys bool) (*adminSession, error) {
	cfg, err := loadConfigFrom(f.env.getenv(env.getenv))
	if err != nil {
		return nil, err
	}
	if withKeys && len(cfg.EncryptionKeys) == 0 {
		return nil, errors.New("LOOKOUT_ENCRYPTION_KEYS is not set: set it to the keys `lookout serve` uses (grants are sealed with them)")
	}
	logger := newLogger(env, slog.LevelWarn, cfg.Secrets()...)
	st, err := openStore(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return nil, err
	}
	rep, err := st.(reportingMigrator).MigrateReport(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s: %w", describeDSN(cfg.DatabaseURL.Reveal()), err)
	}
	if len(rep.Applied) > 0 {
		fmt.Fprintf(env.stderr, "lookout admin: %s: %s\n", describeDSN(cfg.DatabaseURL.Reveal()), rep)
	}
	s := &adminSession{store: st, cfg: cfg, logger: logger, now: time.Now}
	if withKeys {
		keys := make([]vault.Key, len(cfg.EncryptionKeys))
		for i, k := range cfg.EncryptionKeys {
			keys[i] = vault.Key(k)
		}
		kr, err := vault.NewKeyring(keys...)
		if err != nil {
			st.Close()
			return nil, err
		}
		s.vault = vault.New(st, kr, vault.Options{Logger: logger})
	}
	return s, nil
}

func (s *adminSession) close(ctx context.Context) error {
	var err error
	if s.vault != nil {
		err = s.vault.Close(ctx)
	}
	return errors.Join(err, s.store.Close())
}

// reachServers returns once every running `lookout serve` on this
// database refuses what was just revoked: each keeps a bearer check's
// answer for up to LOOKOUT_TOKEN_CACHE_TTL, so the command waits that
// long before it says it is done, and the operator's next MCP call is a
// 401.
func (s *adminSession) reachServers(ctx context.Context) {
	if s.cfg.TokenCacheTTL <= 0 {
		return
	}
	t := time.NewTimer(s.cfg.TokenCacheTTL)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// audit records what an operator did; a failure is reported, not fatal:
// the change itself is done.
func (s *adminSession) audit(ctx context.Context, env *environment, principal, action, detail string) {
	err := s.store.AppendAudit(ctx, store.AuditEvent{Time: s.now().UTC(), Principal: principal, Action: action, Detail: detail})
	if err != nil {
		fmt.Fprintf(env.stderr, "lookout admin: could not write the audit event %s: %v\n", action, err)
	}
}

// printJSON writes v indented; nil slices print as [].
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a header, aligned.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// when shows a time in a table: UTC to the minute, "-" for never.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// orDash shows "" as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
