package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/version"
)

// runMCP is `lookout mcp`: a local MCP server on stdio, acting with one
// Sentry token. It takes every flag and variable of @sentry/mcp-server
// 0.39.0, so a client configuration written for it works as it is: what
// lookout can honour it honours, the rest it accepts with a one-line
// notice on stderr.
//
// A configuration that cannot work (no token, an unknown flag or skill)
// is reported on stderr and, since the process was started by an MCP
// client that shows only "Connection closed" when a server exits, also
// over the protocol: the server starts and every tool call answers with
// the problem and its fix.
func runMCP(ctx context.Context, env *environment, args []string) error {
	m, err := parseMCP(env, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err == nil && m.version:
		fmt.Fprintf(env.stdout, "lookout %s\n", version.String())
		return nil
	case err != nil:
		return setupFailed(ctx, env, err.Error())
	}
	for _, n := range m.notices {
		fmt.Fprintf(env.stderr, "lookout mcp: note: %s\n", n)
	}
	logger := newLogger(env, m.logLevel, append(m.secrets, m.token)...)
	logger.Info("lookout mcp serving on stdio", "sentry", m.sentry.BaseURL, "permissions", m.permissions,
		"organization", m.org, "project", m.project)
	err = mcpserver.ServeStdio(ctx, mcpserver.StdioOptions{
		Sentry:      m.sentry,
		Permissions: m.permissions,
		Org:         m.org, Project: m.project,
		HowToEnable: m.howToEnable,
		DocsURL:     m.docsURL,
		Logger:      logger,
	}, io.NopCloser(env.stdin), nopWriteCloser{env.stdout})
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// setupFailed reports a configuration that cannot work: on stderr, and to
// an MCP client over the protocol until it disconnects. A person at a
// terminal gets the message only.
func setupFailed(ctx context.Context, env *environment, msg string) error {
	fmt.Fprintf(env.stderr, "lookout mcp: %s\n", msg)
	if !isTerminal(env.stdin) {
		err := mcpserver.ServeStdioSetupError(ctx, msg, io.NopCloser(env.stdin), nopWriteCloser{env.stdout})
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
			fmt.Fprintf(env.stderr, "lookout mcp: %v\n", err)
		}
	}
	return errUsage // already said; exit 2
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// mcpSetup is what the flags and environment of `lookout mcp` resolve to.
type mcpSetup struct {
	version     bool
	token       string
	sentry      sentry.Options
	permissions []tools.Permission
	skills      []string // as resolved, for the hints of howToEnable
	org         string
	project     string
	notices     []string
	logLevel    slog.Level
	secrets     []string
	// docsURL is where search_docs searches (--mcp-url, MCP_URL); "" is
	// the reference's default, https://mcp.sentry.dev.
	docsURL string
}

// parseMCP reads the flags and environment. Errors are sentences a user
// can act on; flag.ErrHelp means usage was printed.
func parseMCP(env *environment, args []string) (*mcpSetup, error) {
	fs := newFlagSet(env, "mcp", "mcp --access-token=TOKEN [--host=HOST[:PORT] [--insecure-http] | --url=URL] [flags]")
	flags := newEnvFlags(fs)
	flags.string("access-token", "SENTRY_ACCESS_TOKEN", "Sentry user auth token (create one at <SENTRY_URL>/settings/account/api/auth-tokens/)")
	flags.string("url", "SENTRY_URL", "Sentry URL (default https://sentry.io)")
	flags.string("host", "SENTRY_HOST", "Sentry host[:port] of a self-hosted Sentry, e.g. sentry.example.com (https unless --insecure-http)")
	flags.bool("insecure-http", "SENTRY_INSECURE_HTTP", "use plain http for --host (a self-hosted Sentry on a trusted network)")
	org := fs.String("organization-slug", "", "pin every tool to this organization")
	project := fs.String("project-slug", "", "pin every tool to this project")
	perms := fs.String("permissions", "", "what tools may do, lookout's spelling: read,triage,seer,docs,project-management (default read)")
	flags.string("skills", "MCP_SKILLS", "the reference's spelling: inspect,seer,triage,project-management,docs (default inspect: read-only)")
	flags.string("disable-skills", "MCP_DISABLE_SKILLS", "skills to remove from those granted")
	allSkills := fs.Bool("all-skills", false, "grant every active skill: inspect,seer,triage,project-management")
	experimental := fs.Bool("experimental", false, "accepted for compatibility; lookout has no experimental tool variants")
	flags.string("agent-provider", "EMBEDDED_AGENT_PROVIDER", "accepted for compatibility; lookout does not rewrite queries with a model")
	for _, name := range []string{"openai-base-url", "openai-model", "anthropic-base-url", "anthropic-model"} {
		fs.String(name, "", "accepted for compatibility; lookout does not rewrite queries with a model")
	}
	flags.string("mcp-url", "MCP_URL", "where search_docs searches Sentry's documentation (default https://mcp.sentry.dev)")
	fs.String("sentry-dsn", "", "accepted for compatibility; lookout reports no telemetry to Sentry")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.BoolVar(showVersion, "v", false, "print the version and exit")

	if err := checkFlagNames(fs, args); err != nil {
		return nil, err
	}
	fs.SetOutput(io.Discard) // errors are worded below; -h prints usage itself
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.stderr)
			fs.Usage()
			return nil, err
		}
		return nil, fmt.Errorf("%v; run 'lookout mcp -h' for the flags", err)
	}
	m := &mcpSetup{version: *showVersion, org: *org, project: *project}
	if m.version {
		return m, nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	getenv := flags.getenv(env.getenv)

	// Compatibility flags lookout accepts without using.
	if *experimental {
		m.notices = append(m.notices, "--experimental changes nothing: lookout has no experimental tool variants.")
	}
	var agent []string
	for _, name := range []string{"agent-provider", "openai-base-url", "openai-model", "anthropic-base-url", "anthropic-model"} {
		if given[name] {
			agent = append(agent, "--"+name)
		}
	}
	if !given["agent-provider"] && env.getenv("EMBEDDED_AGENT_PROVIDER") != "" {
		agent = append(agent, "EMBEDDED_AGENT_PROVIDER")
	}
	if len(agent) > 0 {
		m.notices = append(m.notices, strings.Join(agent, ", ")+" ignored: lookout runs queries as Sentry search syntax and does not rewrite them with a model.")
	}
	m.docsURL = strings.TrimSpace(getenv("MCP_URL"))
	if m.docsURL != "" {
		if _, err := sentry.NewDocsClient(sentry.DocsOptions{SearchURL: m.docsURL}); err != nil {
			return nil, fmt.Errorf("--mcp-url (MCP_URL) %q is not a usable documentation search URL: give an https URL such as https://mcp.sentry.dev", m.docsURL)
		}
	}
	if given["sentry-dsn"] {
		m.notices = append(m.notices, "--sentry-dsn ignored: lookout reports no telemetry to Sentry.")
	}

	// Where Sentry is: --url, else --host, else SENTRY_URL, else
	// SENTRY_HOST, else sentry.io. A flag beats a variable.
	insecure := isTrue(getenv("SENTRY_INSECURE_HTTP"))
	sentryURL, err := resolveSentryURL(given, getenv, env.getenv, insecure, &m.notices)
	if err != nil {
		return nil, err
	}
	withURL := func(name string) string {
		if name == "SENTRY_URL" {
			return sentryURL
		}
		return getenv(name)
	}
	m.token = strings.TrimSpace(getenv("SENTRY_ACCESS_TOKEN"))
	if m.token == "" {
		return nil, errors.New("no Sentry token: pass --access-token=TOKEN or set SENTRY_ACCESS_TOKEN; " +
			"create one at " + sentryURL + "/settings/account/api/auth-tokens/ with the scopes " +
			"org:read project:read team:read event:read (add event:write for the triage skill)")
	}
	cfg, err := loadConfigFrom(withURL)
	if err != nil {
		return nil, err
	}
	m.logLevel, m.secrets = cfg.LogLevel, cfg.Secrets()
	m.sentry = sentry.Options{
		BaseURL:              cfg.SentryURL,
		Token:                sentry.StaticToken(m.token),
		AllowedRegionDomains: cfg.SentryAllowedRegionDomains,
		InsecureHTTP:         cfg.SentryInsecureHTTP,
	}
	if err := m.resolvePermissions(given, getenv, *perms, *allSkills); err != nil {
		return nil, err
	}
	return m, nil
}

// resolveSentryURL turns --url/--host/SENTRY_URL/SENTRY_HOST into one URL.
func resolveSentryURL(given map[string]bool, getenv, rawEnv func(string) string, insecure bool, notices *[]string) (string, error) {
	fromHost := func(host string) (string, error) {
		host = strings.TrimSpace(host)
		if strings.Contains(host, "/") || strings.Contains(host, "@") {
			return "", fmt.Errorf("--host takes a host name with an optional port, such as sentry.example.com or sentry.internal:9000 (got %q); use --url for a full URL", host)
		}
		name := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			name = h
		}
		scheme := "https"
		switch {
		case insecure && isSentryIO(name):
			*notices = append(*notices, "--insecure-http ignored for "+name+": sentry.io is served over https only.")
		case insecure:
			scheme = "http"
		}
		return scheme + "://" + host, nil
	}
	switch {
	case given["url"]:
		return getenv("SENTRY_URL"), nil
	case given["host"]:
		return fromHost(getenv("SENTRY_HOST"))
	case rawEnv("SENTRY_URL") != "":
		return rawEnv("SENTRY_URL"), nil
	case rawEnv("SENTRY_HOST") != "":
		return fromHost(rawEnv("SENTRY_HOST"))
	}
	return "https://sentry.io", nil
}

func isSentryIO(host string) bool {
	host = strings.ToLower(host)
	return host == "sentry.io" || strings.HasSuffix(host, ".sentry.io")
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// resolvePermissions maps skills (--skills, MCP_SKILLS, --all-skills,
// --disable-skills, MCP_DISABLE_SKILLS) and --permissions onto lookout's
// permissions. Read is always granted; without any of them a session is
// read-only (tools.DefaultSkills). A flag beats its variable;
// --permissions adds to the skills.
func (m *mcpSetup) resolvePermissions(given map[string]bool, getenv func(string) string, perms string, all bool) error {
	var skills []string
	switch list := getenv("MCP_SKILLS"); {
	case all:
		if given["skills"] {
			m.notices = append(m.notices, "--all-skills and --skills together: --all-skills wins.")
		}
		skills = slices.Clone(tools.ActiveSkills)
	case strings.TrimSpace(list) != "":
		var err error
		if skills, err = tools.ParseSkills(list); err != nil {
			return fmt.Errorf("--skills: %w", err)
		}
	}
	var extra []tools.Permission
	if given["permissions"] {
		var err error
		if extra, err = tools.ParsePermissions(perms); err != nil {
			return fmt.Errorf("--permissions: %w", err)
		}
	}
	if skills == nil && extra == nil {
		skills = slices.Clone(tools.DefaultSkills)
	}
	granted := tools.SkillPermissions(skills)
	for _, p := range extra {
		if !slices.Contains(granted, p) {
			granted = append(granted, p)
		}
	}
	if list := getenv("MCP_DISABLE_SKILLS"); strings.TrimSpace(list) != "" {
		off, err := tools.ParseSkills(list)
		if err != nil {
			return fmt.Errorf("--disable-skills: %w", err)
		}
		for _, s := range off {
			if s == "inspect" {
				m.notices = append(m.notices, "--disable-skills=inspect keeps the read tools: lookout always offers them.")
			}
			granted = slices.DeleteFunc(granted, func(p tools.Permission) bool {
				return p != tools.Read && slices.Contains(tools.SkillPermissions([]string{s}), p)
			})
			skills = slices.DeleteFunc(skills, func(k string) bool { return k == s })
		}
	}
	// Keep AllPermissions order, for stable logs and messages.
	m.permissions = slices.DeleteFunc(slices.Clone(tools.AllPermissions), func(p tools.Permission) bool { return !slices.Contains(granted, p) })
	m.skills = skills
	return nil
}

// howToEnable tells a user how to grant p on their next start.
func (m *mcpSetup) howToEnable(p tools.Permission) string {
	skill := tools.SkillOf(p)
	skills := slices.Clone(m.skills)
	if !slices.Contains(skills, "inspect") {
		skills = append([]string{"inspect"}, skills...)
	}
	skills = append(skills, skill)
	return fmt.Sprintf("To enable it, add --skills=%s (or --all-skills) to lookout mcp's arguments in your MCP client's configuration and restart the server; the Sentry token needs the scopes that skill uses (event:write for triage).",
		strings.Join(skills, ","))
}

// checkFlagNames refuses an unknown flag or a stray argument with a
// message that names it and the nearest flag lookout knows.
func checkFlagNames(fs *flag.FlagSet, args []string) error {
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return fmt.Errorf("unexpected argument %q: lookout mcp takes flags only", args[i+1])
			}
			return nil
		}
		if a == "auth" && i == 0 {
			return errors.New("lookout mcp has no auth command (the reference's device-code login): " +
				"create a token at <your Sentry>/settings/account/api/auth-tokens/ and pass it with --access-token or SENTRY_ACCESS_TOKEN")
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return fmt.Errorf("unexpected argument %q: lookout mcp takes flags only (e.g. --access-token=TOKEN)", a)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return nil // let Parse print usage
		}
		f := fs.Lookup(name)
		if f == nil {
			msg := fmt.Sprintf("unknown flag %s", strings.SplitN(a, "=", 2)[0])
			if c := tools.Closest(name, known); c != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", c)
			}
			return errors.New(msg + "; run 'lookout mcp -h' for the flags lookout takes")
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // the flag's value follows
		}
	}
	return nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
