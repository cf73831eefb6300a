package deploy

// Small readers for the deployment files' formats: the block-style YAML that
// the Kubernetes manifests and compose.yml are written in, Dockerfiles, env
// files, systemd units and .dockerignore. Each reads only the subset those
// files use and fails the test on anything it cannot read, so a file written
// in another style is reported rather than silently skipped. The standard
// library is enough for that, and keeps a YAML library out of go.mod.

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is where the Dockerfile and go.mod are: this package is deploy/.
const repoRoot = ".."

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// envNameRE is the shape of an environment variable name.
var envNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// yamlLine is one key or list item of a block-style YAML document.
type yamlLine struct {
	// path is the keys from the document root, list items as their index:
	// "spec/template/spec/containers/0/env/1/name". A "/" in a key is
	// written "~1" and a "~" as "~0", as in a JSON pointer.
	path string
	// value is the scalar, unquoted ("" for a mapping or a list); a flow
	// list stays as written: ["serve"].
	value string
	// commented is set for a commented-out setting ("# SLACK_BOT_TOKEN:
	// xoxb-..."): it is not part of the document, but it is a setting a
	// reader will enable, so its name must be right too.
	commented bool
	line      int
}

// yamlDoc is one document of a YAML file.
type yamlDoc struct {
	file  string
	lines []yamlLine
}

// get returns the uncommented scalar at path.
func (d yamlDoc) get(path string) (string, bool) {
	for _, l := range d.lines {
		if l.path == path && !l.commented {
			return l.value, true
		}
	}
	return "", false
}

// children returns the uncommented scalars directly below prefix, by key.
func (d yamlDoc) children(prefix string) map[string]string {
	out := map[string]string{}
	for _, l := range d.lines {
		if rest, ok := strings.CutPrefix(l.path, prefix+"/"); ok && !strings.Contains(rest, "/") && !l.commented {
			out[yamlPathUnescaper.Replace(rest)] = l.value
		}
	}
	return out
}

// items returns the paths of the list items at prefix: prefix/0, prefix/1...
func (d yamlDoc) items(prefix string) []string {
	var out []string
	for i := 0; ; i++ {
		p := prefix + "/" + strconv.Itoa(i)
		found := false
		for _, l := range d.lines {
			if l.path == p || strings.HasPrefix(l.path, p+"/") {
				found = true
				break
			}
		}
		if !found {
			return out
		}
		out = append(out, p)
	}
}

var (
	yamlPathEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	yamlPathUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
	yamlKeyRE         = regexp.MustCompile(`^("[^"]*"|'[^']*'|[^\s"'#:\-][^:#]*?|-[^\s:#][^:#]*?):(?:\s+(.*))?$`)
	yamlCommentedRE   = regexp.MustCompile(`^#\s*([A-Z][A-Z0-9_]*):(?:\s+(.*))?$`)
)

// parseYAML reads the block-style YAML subset the deployment files use:
// mappings, lists of mappings or scalars, flow lists kept as text, block
// scalars skipped, documents separated by "---". Indentation is by spaces.
func parseYAML(t *testing.T, name string) []yamlDoc {
	t.Helper()
	type frame struct {
		indent int
		key    string
		item   bool
		items  int // list items seen below this frame
	}
	var (
		docs        = []yamlDoc{{file: name}}
		stack       []frame
		blockIndent = -1
	)
	pathOf := func(fs []frame, key ...string) string {
		var parts []string
		for _, f := range fs {
			parts = append(parts, f.key)
		}
		for _, k := range key {
			parts = append(parts, yamlPathEscaper.Replace(k))
		}
		return strings.Join(parts, "/")
	}
	emit := func(l yamlLine) { docs[len(docs)-1].lines = append(docs[len(docs)-1].lines, l) }
	for n, raw := range strings.Split(readFile(t, name), "\n") {
		n++
		text := strings.TrimRight(raw, " \r")
		content := strings.TrimLeft(text, " ")
		indent := len(text) - len(content)
		if blockIndent >= 0 {
			if content == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		switch {
		case content == "":
			continue
		case strings.HasPrefix(content, "\t"):
			t.Fatalf("%s:%d: indented with a tab", name, n)
		case content == "---" && indent == 0:
			docs, stack = append(docs, yamlDoc{file: name}), nil
			continue
		case strings.HasPrefix(content, "#"):
			if m := yamlCommentedRE.FindStringSubmatch(content); m != nil {
				var parent []frame
				for _, f := range stack {
					if f.indent < indent {
						parent = append(parent, f)
					}
				}
				emit(yamlLine{path: pathOf(parent, m[1]), value: yamlScalar(stripYAMLComment(m[2])), commented: true, line: n})
			}
			continue
		}
		content = stripYAMLComment(content)
		// A list item: its content starts two columns further in.
		for content == "-" || strings.HasPrefix(content, "- ") {
			for len(stack) > 0 && stack[len(stack)-1].indent > indent {
				stack = stack[:len(stack)-1]
			}
			if len(stack) > 0 && stack[len(stack)-1].indent == indent && stack[len(stack)-1].item {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				t.Fatalf("%s:%d: a list at the top of a document", name, n)
			}
			parent := &stack[len(stack)-1]
			key := strconv.Itoa(parent.items)
			parent.items++
			stack = append(stack, frame{indent: indent, key: key, item: true})
			content = strings.TrimSpace(strings.TrimPrefix(content, "-"))
			indent += 2
			if content == "" {
				break
			}
			if !yamlKeyRE.MatchString(content) && !strings.HasPrefix(content, "- ") {
				emit(yamlLine{path: pathOf(stack), value: yamlScalar(content), line: n})
				content = ""
			}
		}
		if content == "" {
			continue
		}
		m := yamlKeyRE.FindStringSubmatch(content)
		if m == nil {
			t.Fatalf("%s:%d: cannot read %q (block mappings and lists only)", name, n, content)
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		key, value := yamlScalar(m[1]), m[2]
		if strings.HasPrefix(value, "|") || strings.HasPrefix(value, ">") {
			blockIndent, value = indent, ""
		}
		if strings.HasPrefix(value, "{") || strings.HasPrefix(value, "&") || strings.HasPrefix(value, "*") {
			t.Fatalf("%s:%d: flow mappings, anchors and aliases are not read here; write %q as a block mapping", name, n, key)
		}
		emit(yamlLine{path: pathOf(stack, key), value: yamlScalar(value), line: n})
		stack = append(stack, frame{indent: indent, key: yamlPathEscaper.Replace(key)})
	}
	return docs
}

// stripYAMLComment removes a trailing " # comment" outside quotes.
func stripYAMLComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return strings.TrimSpace(s[:i])
		}
	}
	return strings.TrimSpace(s)
}

func yamlScalar(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// flowList reads a flow list of scalars: ["migrate"] -> [migrate].
func flowList(s string) []string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil
	}
	var out []string
	for _, f := range strings.Split(s[1:len(s)-1], ",") {
		if f = yamlScalar(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// dockerInstruction is one Dockerfile instruction, continuation lines joined.
type dockerInstruction struct {
	cmd  string // upper case: FROM, RUN...
	args string
	line int
}

// dockerStage is one FROM and what follows it.
type dockerStage struct {
	base, name   string
	instructions []dockerInstruction
}

func parseDockerfile(t *testing.T, name string) []dockerStage {
	t.Helper()
	var (
		stages []dockerStage
		cur    strings.Builder
		start  int
	)
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("%s:%d: FROM without an image", name, start)
			}
			st := dockerStage{base: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("%s:%d: %s before the first FROM", name, start, in.cmd)
			}
			return
		}
		s := &stages[len(stages)-1]
		s.instructions = append(s.instructions, in)
	}
	for n, raw := range strings.Split(readFile(t, name), "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() > 0) {
			continue // comments, also inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n + 1
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// shellWords splits a command line the way sh does for the simple forms the
// Dockerfile uses: blanks separate words, quotes group and disappear.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var (
		words []string
		w     strings.Builder
		in    bool
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		case r == '\\':
			t.Fatalf("shell escapes are not read here: %q", s)
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// envFileLine is one NAME=value of an env file.
type envFileLine struct {
	name, value string
	commented   bool // "# NAME=value": an optional setting, off
	line        int
}

var envAssignRE = regexp.MustCompile(`^(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// parseEnvFile reads NAME=value lines (no export, no quotes needed) and the
// commented-out settings among the comments.
func parseEnvFile(t *testing.T, name string) []envFileLine {
	t.Helper()
	var out []envFileLine
	for n, raw := range strings.Split(readFile(t, name), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		m := envAssignRE.FindStringSubmatch(line)
		if m == nil {
			if !strings.HasPrefix(line, "#") {
				t.Fatalf("%s:%d: not NAME=value: %q", name, n+1, line)
			}
			continue
		}
		out = append(out, envFileLine{name: m[2], value: m[3], commented: m[1] != "", line: n + 1})
	}
	return out
}

// unitSetting is one Key=value of a systemd unit.
type unitSetting struct {
	section, key, value string
	line                int
}

func parseUnit(t *testing.T, name string) []unitSetting {
	t.Helper()
	var (
		out     []unitSetting
		section string
	)
	for n, raw := range strings.Split(readFile(t, name), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || strings.HasSuffix(line, "\\") {
				t.Fatalf("%s:%d: not Key=value: %q", name, n+1, line)
			}
			out = append(out, unitSetting{section: section, key: key, value: value, line: n + 1})
		}
	}
	return out
}

// dockerignore decides which paths of the build context reach the builder,
// as Docker does: patterns in order, the last that matches a path or one of
// its parent directories wins, "!" lets a path back in, "*" and "?" stay
// within one path element, "**" spans any number of them.
type dockerignore struct {
	patterns []*regexp.Regexp
	negate   []bool
}

func parseDockerignore(t *testing.T, name string) dockerignore {
	t.Helper()
	var d dockerignore
	for n, raw := range strings.Split(readFile(t, name), "\n") {
		p := strings.TrimSpace(raw)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "!"))), "/")
		if strings.ContainsAny(p, `[\`) {
			t.Fatalf("%s:%d: character classes and escapes are not read here: %q", name, n+1, p)
		}
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		re.WriteString("$")
		d.patterns = append(d.patterns, regexp.MustCompile(re.String()))
		d.negate = append(d.negate, neg)
	}
	return d
}

// excluded reports whether path (slash-separated, relative to the context)
// stays out of the build context.
func (d dockerignore) excluded(path string) bool {
	parts := strings.Split(path, "/")
	out := false
	for i, re := range d.patterns {
		for j := range parts {
			if re.MatchString(strings.Join(parts[:j+1], "/")) {
				out = !d.negate[i]
				break
			}
		}
	}
	return out
}
