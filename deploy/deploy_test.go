// Package deploy is lookout's deployment files (compose.yml, kubernetes/,
// lookout.service, lookout.env.example; the Dockerfile and .dockerignore sit
// at the repository root) and the tests that hold them to the code.
//
// Deployment files drift without a sound: a renamed variable, a moved
// package or a renamed subcommand breaks an install, never a build. So these
// tests ask the code itself: internal/config for the variables it reads and
// the ones `serve` requires, `go list` for what the Dockerfile's build
// command compiles, cmd/lookout's source for its subcommands.
package deploy

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/config"
)

// configVariables returns every environment variable internal/config reads.
// Load is asked rather than a list kept here: a recording getenv sees each
// name Load looks up. A lookup could depend on another variable being set,
// so Load runs again with every name seen so far set, until no new one
// shows up.
func configVariables(t *testing.T) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for {
		before := len(seen)
		set := maps.Clone(seen)
		_, _ = config.Load(func(name string) string {
			seen[name] = true
			if set[name] {
				return "x"
			}
			return ""
		})
		if len(seen) == before {
			break
		}
	}
	if len(seen) < 10 {
		t.Fatalf("config.Load read only %d variables; the recording getenv is not seeing its lookups", len(seen))
	}
	return seen
}

// serveRequires returns the variables `lookout serve` refuses to start
// without: those RequireServe names for an empty environment. Its contract
// is that every problem is one line that starts with the variable's name.
func serveRequires(t *testing.T, known map[string]bool) []string {
	t.Helper()
	c, err := config.Load(nil)
	if err != nil {
		t.Fatalf("config.Load of an empty environment: %v", err)
	}
	err = c.RequireServe()
	if err == nil {
		t.Fatal("RequireServe accepts an empty environment")
	}
	var names []string
	for _, line := range strings.Split(err.Error(), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if !known[name] {
			t.Fatalf("RequireServe's line %q does not start with a variable config reads", line)
		}
		names = append(names, name)
	}
	return names
}

// setting is one environment variable a deployment file sets.
type setting struct {
	where     string // file:line
	name      string
	value     string
	commented bool // an optional setting, written but off
}

// target is one way to deploy lookout: the settings its process gets, in
// the order they apply (a later one wins over an earlier one of that name).
type target struct {
	name     string
	settings []setting
	replicas int
}

func (tg target) effective() map[string]setting {
	out := map[string]setting{}
	for _, s := range tg.settings {
		if !s.commented {
			out[s.name] = s
		}
	}
	return out
}

func envExample(t *testing.T) []setting {
	const name = "deploy/lookout.env.example"
	var out []setting
	for _, l := range parseEnvFile(t, name) {
		out = append(out, setting{where: name + ":" + strconv.Itoa(l.line), name: l.name, value: l.value, commented: l.commented})
	}
	return out
}

// envFileExample maps an env file a deployment file refers to onto the
// example in the repository, which is what operators copy it from.
func envFileExample(t *testing.T, where, ref string) []setting {
	t.Helper()
	if path.Base(ref) != "lookout.env" {
		t.Fatalf("%s: env file %q: the example operators copy is deploy/lookout.env.example, so it must be named lookout.env", where, ref)
	}
	return envExample(t)
}

// dockerTarget is `docker run --env-file deploy/lookout.env`, as the
// Dockerfile's header says: the image's ENV, then the env file.
func dockerTarget(t *testing.T) target {
	return target{name: "docker run", settings: append(imageEnv(t), envExample(t)...), replicas: 1}
}

// imageEnv is the ENV of the Dockerfile's runtime stage.
func imageEnv(t *testing.T) []setting {
	stages := parseDockerfile(t, "Dockerfile")
	final := stages[len(stages)-1]
	var out []setting
	for _, in := range final.instructions {
		if in.cmd != "ENV" {
			continue
		}
		for _, w := range shellWords(t, in.args) {
			name, value, ok := strings.Cut(w, "=")
			if !ok {
				t.Fatalf("Dockerfile:%d: ENV %q: write ENV NAME=value", in.line, w)
			}
			out = append(out, setting{where: "Dockerfile:" + strconv.Itoa(in.line), name: name, value: value})
		}
	}
	return out
}

// interpolationRE matches Compose's ${NAME}, ${NAME:-default}, ${NAME:?err}.
var interpolationRE = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?\-+][^}]*)?\}`)

func composeTarget(t *testing.T) (target, yamlDoc) {
	const name = "deploy/compose.yml"
	docs := parseYAML(t, name)
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", name, len(docs))
	}
	doc := docs[0]
	var (
		tg    = target{name: "compose", replicas: 1}
		found bool
	)
	for svc := range doc.children("services") {
		prefix := "services/" + svc
		image, _ := doc.get(prefix + "/image")
		_, built := doc.get(prefix + "/build")
		if !built && !strings.Contains(image, "lookout") {
			continue // PostgreSQL: its variables are the image's, not lookout's
		}
		if found {
			t.Fatalf("%s: more than one lookout service; this test reads one", name)
		}
		found = true
		if ref, ok := doc.get(prefix + "/env_file"); ok {
			tg.settings = append(tg.settings, envFileExample(t, name, ref)...)
		}
		for _, l := range doc.lines {
			rest, ok := strings.CutPrefix(l.path, prefix+"/environment/")
			if !ok || strings.Contains(rest, "/") {
				continue
			}
			s := setting{where: name + ":" + strconv.Itoa(l.line), name: rest, value: l.value, commented: l.commented}
			if _, err := strconv.Atoi(rest); err == nil { // list form: - NAME=value
				s.name, s.value, _ = strings.Cut(l.value, "=")
			}
			s.value = interpolationRE.ReplaceAllString(s.value, "interpolated")
			tg.settings = append(tg.settings, s)
		}
	}
	if !found {
		t.Fatalf("%s: no lookout service (one with build: or a lookout image)", name)
	}
	return tg, doc
}

func systemdTarget(t *testing.T) (target, []unitSetting) {
	const name = "deploy/lookout.service"
	unit := parseUnit(t, name)
	tg := target{name: "systemd", replicas: 1}
	var file []setting
	for _, u := range unit {
		where := name + ":" + strconv.Itoa(u.line)
		switch {
		case u.section == "Service" && u.key == "Environment":
			for _, w := range shellWords(t, u.value) {
				n, v, ok := strings.Cut(w, "=")
				if !ok {
					t.Fatalf("%s: Environment=%s: want NAME=value", where, w)
				}
				tg.settings = append(tg.settings, setting{where: where, name: n, value: v})
			}
		case u.section == "Service" && u.key == "EnvironmentFile":
			file = envFileExample(t, where, strings.TrimPrefix(u.value, "-"))
		}
	}
	// systemd applies EnvironmentFile= over Environment=.
	tg.settings = append(tg.settings, file...)
	return tg, unit
}

// k8sObjects reads every manifest in deploy/kubernetes by kind.
func k8sObjects(t *testing.T) map[string][]yamlDoc {
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes (%v)", err)
	}
	out := map[string][]yamlDoc{}
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		for _, d := range parseYAML(t, filepath.ToSlash(rel)) {
			kind, ok := d.get("kind")
			if !ok {
				if len(d.lines) > 0 {
					t.Fatalf("%s: a document without kind", rel)
				}
				continue
			}
			out[kind] = append(out[kind], d)
		}
	}
	return out
}

func one(t *testing.T, objs map[string][]yamlDoc, kind string) yamlDoc {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("deploy/kubernetes: %d %s objects, want 1", len(objs[kind]), kind)
	}
	return objs[kind][0]
}

func secretByName(objs map[string][]yamlDoc, name string) (yamlDoc, bool) {
	for _, s := range objs["Secret"] {
		if n, _ := s.get("metadata/name"); n == name {
			return s, true
		}
	}
	return yamlDoc{}, false
}

// secretSettings are the keys of a Secret, as environment variables.
func secretSettings(s yamlDoc) []setting {
	var out []setting
	for _, l := range s.lines {
		for _, field := range []string{"stringData/", "data/"} {
			if rest, ok := strings.CutPrefix(l.path, field); ok && !strings.Contains(rest, "/") {
				out = append(out, setting{where: s.file + ":" + strconv.Itoa(l.line), name: rest, value: l.value, commented: l.commented})
			}
		}
	}
	return out
}

// containerTarget is what one container of the Deployment gets: envFrom
// first, then env, which Kubernetes lets win.
func containerTarget(t *testing.T, objs map[string][]yamlDoc, dep yamlDoc, c string, replicas int) target {
	t.Helper()
	cname, _ := dep.get(c + "/name")
	tg := target{name: "kubernetes " + cname, replicas: replicas}
	for _, from := range dep.items(c + "/envFrom") {
		if ref, ok := dep.get(from + "/secretRef/name"); ok {
			s, found := secretByName(objs, ref)
			if !found {
				t.Fatalf("%s: container %s: envFrom Secret %q is not in deploy/kubernetes", dep.file, cname, ref)
			}
			tg.settings = append(tg.settings, secretSettings(s)...)
			continue
		}
		t.Fatalf("%s: container %s: only envFrom secretRef is read here", dep.file, cname)
	}
	for _, e := range dep.items(c + "/env") {
		name, _ := dep.get(e + "/name")
		where := dep.file + ":" + strconv.Itoa(lineOf(dep, e+"/name"))
		if v, ok := dep.get(e + "/value"); ok {
			tg.settings = append(tg.settings, setting{where: where, name: name, value: v})
			continue
		}
		ref, _ := dep.get(e + "/valueFrom/secretKeyRef/name")
		key, _ := dep.get(e + "/valueFrom/secretKeyRef/key")
		s, found := secretByName(objs, ref)
		if !found {
			t.Fatalf("%s: env %s: Secret %q is not in deploy/kubernetes", where, name, ref)
		}
		var value string
		var has bool
		for _, ss := range secretSettings(s) {
			if ss.name == key && !ss.commented {
				value, has = ss.value, true
			}
		}
		if !has {
			t.Fatalf("%s: env %s: Secret %q has no key %s", where, name, ref, key)
		}
		tg.settings = append(tg.settings, setting{where: where, name: name, value: value})
	}
	return tg
}

func lineOf(d yamlDoc, path string) int {
	for _, l := range d.lines {
		if l.path == path {
			return l.line
		}
	}
	return 0
}

func replicasOf(t *testing.T, dep yamlDoc) int {
	v, _ := dep.get("spec/replicas")
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s: spec.replicas %q", dep.file, v)
	}
	return n
}

// TestDeployFilesSetOnlyVariablesLookoutReads: a misspelt or retired
// variable in a deployment file is silently ignored by lookout, so the
// operator believes a setting is in force that is not.
func TestDeployFilesSetOnlyVariablesLookoutReads(t *testing.T) {
	t.Parallel()
	known := configVariables(t)
	var all []setting
	add := func(tg target) { all = append(all, tg.settings...) }
	add(dockerTarget(t))
	compose, _ := composeTarget(t)
	add(compose)
	systemd, _ := systemdTarget(t)
	add(systemd)
	objs := k8sObjects(t)
	for _, s := range objs["Secret"] {
		all = append(all, secretSettings(s)...)
	}
	dep := one(t, objs, "Deployment")
	for _, list := range []string{"spec/template/spec/initContainers", "spec/template/spec/containers"} {
		for _, c := range dep.items(list) {
			add(containerTarget(t, objs, dep, c, 1))
		}
	}

	perFile := map[string]int{}
	for _, s := range all {
		file, _, _ := strings.Cut(s.where, ":")
		perFile[file]++
		if !envNameRE.MatchString(s.name) {
			t.Errorf("%s: %q is not an environment variable name", s.where, s.name)
		} else if !known[s.name] {
			t.Errorf("%s: %s is not a variable lookout reads (internal/config); lookout would ignore it", s.where, s.name)
		}
	}
	for _, f := range []string{"Dockerfile", "deploy/lookout.env.example", "deploy/compose.yml", "deploy/lookout.service",
		"deploy/kubernetes/deployment.yaml", "deploy/kubernetes/secret.yaml"} {
		if perFile[f] == 0 {
			t.Errorf("%s: no variable found; the reader in this test no longer understands the file", f)
		}
	}
}

// TestEveryTargetStartsServe: each way of deploying gives `serve` every
// variable it requires, and values config accepts, so an operator who fills
// in the placeholders gets a process that starts, not a list of complaints.
func TestEveryTargetStartsServe(t *testing.T) {
	t.Parallel()
	known := configVariables(t)
	required := serveRequires(t, known)
	compose, composeDoc := composeTarget(t)
	systemd, _ := systemdTarget(t)
	targets := []target{dockerTarget(t), compose, systemd}
	objs := k8sObjects(t)
	dep := one(t, objs, "Deployment")
	replicas := replicasOf(t, dep)
	for _, c := range dep.items("spec/template/spec/containers") {
		targets = append(targets, containerTarget(t, objs, dep, c, replicas))
	}

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			eff := tg.effective()
			for _, name := range required {
				if _, ok := eff[name]; !ok {
					t.Errorf("%s does not set %s, which serve requires", tg.name, name)
				}
			}
			// Everything written with a value must pass config as it stands;
			// empty values are placeholders for the operator.
			_, err := config.Load(func(name string) string { return eff[name].value })
			if err != nil {
				t.Errorf("%s: config rejects the values written in the deployment files:\n%v", tg.name, err)
			}
			db := eff["DATABASE_URL"].value
			if db == "" {
				db = config.DefaultDatabaseURL
			}
			if tg.replicas > 1 && !strings.HasPrefix(db, "postgres") {
				t.Errorf("%s runs %d replicas on DATABASE_URL %q: several replicas must share PostgreSQL", tg.name, tg.replicas, db)
			}
		})
	}

	// Compose's DATABASE_URL names its own PostgreSQL service, user and database.
	u, err := url.Parse(compose.effective()["DATABASE_URL"].value)
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("compose DATABASE_URL: want a postgres:// URL (%v)", err)
	}
	pg := "services/" + u.Hostname() + "/environment/"
	user, _ := composeDoc.get(pg + "POSTGRES_USER")
	db, _ := composeDoc.get(pg + "POSTGRES_DB")
	if user == "" || user != u.User.Username() || "/"+db != u.Path {
		t.Errorf("compose DATABASE_URL names user %q and database %q on %q; that service has POSTGRES_USER %q and POSTGRES_DB %q",
			u.User.Username(), u.Path, u.Hostname(), user, db)
	}
}

// lookoutCommands returns cmd/lookout's subcommands: the names in its
// []command literal.
func lookoutCommands(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(repoRoot, "cmd/lookout")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			arr, ok := lit.Type.(*ast.ArrayType)
			if !ok {
				return true
			}
			if id, ok := arr.Elt.(*ast.Ident); !ok || id.Name != "command" {
				return true
			}
			for _, el := range lit.Elts {
				c, ok := el.(*ast.CompositeLit)
				if !ok || len(c.Elts) == 0 {
					continue
				}
				first := c.Elts[0]
				if kv, ok := first.(*ast.KeyValueExpr); ok {
					first = kv.Value
				}
				if s, ok := first.(*ast.BasicLit); ok && s.Kind == token.STRING {
					name, _ := strconv.Unquote(s.Value)
					names = append(names, name)
				}
			}
			return false
		})
	}
	if !slices.Contains(names, "serve") {
		t.Fatalf("found subcommands %v in cmd/lookout, without serve: the []command literal this test reads has changed", names)
	}
	return names
}

// goPackage is what `go list -json` says of one package.
type goPackage struct {
	ImportPath, Name, Dir string
	Module                *struct{ Path string }
	GoFiles, SFiles       []string
	EmbedFiles            []string
	Error                 *struct{ Err string }
}

// goList lists pkg and its dependencies as the Dockerfile's build sees them.
func goList(t *testing.T, env []string, pkg string) []goPackage {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check the Dockerfile's build: %v", err)
	}
	cmd := exec.Command(gocmd, "list", "-e", "-deps",
		"-json=ImportPath,Name,Dir,Module,GoFiles,SFiles,EmbedFiles,Error", pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = new(strings.Builder)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s with %v: %v\n%s", pkg, env, err, cmd.Stderr)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// dockerBuild is the go build command of the Dockerfile's build stage.
type dockerBuild struct {
	stage   string   // the build stage's name
	env     []string // NAME=value before "go build", expanded
	output  string   // -o
	pkg     string
	ldflags []string
}

func parseDockerBuild(t *testing.T, stages []dockerStage, goarch string) dockerBuild {
	t.Helper()
	vars := map[string]string{"TARGETOS": "linux", "TARGETARCH": goarch, "VERSION": "v0.0.0-deploytest"}
	expand := func(s string) string {
		return os.Expand(s, func(name string) string {
			v, ok := vars[name]
			if !ok {
				t.Fatalf("Dockerfile build command uses $%s, which this test does not know", name)
			}
			return v
		})
	}
	var found []dockerBuild
	for _, st := range stages {
		for _, in := range st.instructions {
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			words := shellWords(t, in.args)
			for len(words) > 0 && strings.HasPrefix(words[0], "--") { // --mount=...
				words = words[1:]
			}
			b := dockerBuild{stage: st.name}
			for len(words) > 0 && strings.Contains(words[0], "=") {
				b.env = append(b.env, expand(words[0]))
				words = words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				t.Fatalf("Dockerfile:%d: want [NAME=value ...] go build ...; got %q", in.line, words)
			}
			args := words[2:]
			for i := 0; i < len(args); i++ {
				a := expand(args[i])
				switch {
				case a == "-o" && i+1 < len(args):
					i++
					b.output = args[i]
				case strings.HasPrefix(a, "-ldflags="):
					b.ldflags = strings.Fields(strings.TrimPrefix(a, "-ldflags="))
				case strings.HasPrefix(a, "-"):
				default:
					b.pkg = a
				}
			}
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile: %d go build commands, want 1", len(found))
	}
	return found[0]
}

// TestDockerfile: the image builds the binary lookout's source defines, as
// a static binary, and runs it as a non-root user on the port it listens on.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a runtime stage", len(stages))
	}
	final := stages[len(stages)-1]
	commands := lookoutCommands(t)

	var module string
	for _, line := range strings.Split(readFile(t, "go.mod"), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
		}
	}

	b := parseDockerBuild(t, stages, "amd64")
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("Dockerfile build runs with %v: without CGO_ENABLED=0 the binary needs a libc the runtime image does not have", b.env)
	}
	t.Run("build", func(t *testing.T) {
		t.Parallel()
		for _, arch := range []string{"amd64", "arm64"} {
			b := parseDockerBuild(t, stages, arch)
			pkgs := goList(t, b.env, b.pkg)
			main := pkgs[len(pkgs)-1]
			if main.Name != "main" {
				t.Fatalf("%s: the Dockerfile builds %s, which is package %q, not a command", arch, b.pkg, main.Name)
			}
			byPath := map[string]goPackage{}
			for _, p := range pkgs {
				byPath[p.ImportPath] = p
				if p.Error != nil {
					t.Errorf("%s: %s does not build with %v: %s", arch, p.ImportPath, b.env, p.Error.Err)
				}
			}
			// -X on a variable that is not there is silently ignored by the
			// linker: the image would report version "dev".
			xs := 0
			for i, f := range b.ldflags {
				if f != "-X" || i+1 >= len(b.ldflags) {
					continue
				}
				xs++
				sym, _, _ := strings.Cut(b.ldflags[i+1], "=")
				dot := strings.LastIndex(sym, ".")
				pkgPath, name := sym[:dot], sym[dot+1:]
				p, ok := byPath[pkgPath]
				if !ok {
					t.Errorf("%s: -X %s: package %s is not part of the binary", arch, sym, pkgPath)
					continue
				}
				if !declaresStringVar(t, p, name) {
					t.Errorf("%s: -X %s: %s declares no string variable %s", arch, sym, pkgPath, name)
				}
			}
			if xs == 0 {
				t.Errorf("the build sets no version with -ldflags -X; lookout version would say dev")
			}
			if arch == "amd64" {
				checkContext(t, module, pkgs)
			}
		}
	})

	// The runtime stage.
	if !strings.HasPrefix(final.base, "gcr.io/distroless/static") {
		t.Errorf("runtime image %s: want gcr.io/distroless/static (no libc needed; CA certificates and time zones included)", final.base)
	}
	var (
		user, expose, workdir string
		volumes, entrypoint   []string
		cmd                   []string
		copies                = map[string]string{} // destination -> source in the build stage
	)
	for _, in := range final.instructions {
		switch in.cmd {
		case "USER":
			user = in.args
		case "EXPOSE":
			expose = in.args
		case "WORKDIR":
			workdir = in.args
		case "VOLUME":
			volumes = flowList(in.args)
		case "ENTRYPOINT":
			entrypoint = flowList(in.args)
		case "CMD":
			cmd = flowList(in.args)
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) >= 3 && f[0] == "--from="+b.stage {
				copies[f[len(f)-1]] = f[len(f)-2]
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root user, which Kubernetes' runAsNonRoot can check", user)
	} else if want := k8sRunAsUser(t); want != uid {
		t.Errorf("USER %s, but deploy/kubernetes runs the pods as %s", uid, want)
	}
	if len(entrypoint) != 1 || copies[entrypoint[0]] != b.output {
		t.Errorf("ENTRYPOINT %v is not the binary the build stage writes (%s); copies: %v", entrypoint, b.output, copies)
	}
	if len(cmd) == 0 || !slices.Contains(commands, cmd[0]) {
		t.Errorf("CMD %v: want one of lookout's subcommands %v", cmd, commands)
	}
	env := target{settings: imageEnv(t)}.effective()
	addr := env["LOOKOUT_ADDR"].value
	if addr == "" {
		addr = config.DefaultAddr
	}
	if _, port, _ := net.SplitHostPort(addr); port != expose {
		t.Errorf("EXPOSE %s, but lookout listens on LOOKOUT_ADDR %s", expose, addr)
	}
	if db := env["DATABASE_URL"].value; strings.HasPrefix(db, "sqlite:") {
		dir := path.Dir(strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//"))
		if !slices.Contains(volumes, dir) || workdir != dir {
			t.Errorf("the SQLite database %s lives in %s, which must be the VOLUME %v and the WORKDIR %s", db, dir, volumes, workdir)
		}
	}
}

// declaresStringVar reports whether package p declares a package-level
// string variable name, which is what -X can set.
func declaresStringVar(t *testing.T, p goPackage, name string) bool {
	fset := token.NewFileSet()
	for _, f := range p.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name {
						continue
					}
					if typ, ok := vs.Type.(*ast.Ident); ok {
						return typ.Name == "string"
					}
					if i < len(vs.Values) {
						lit, ok := vs.Values[i].(*ast.BasicLit)
						return ok && lit.Kind == token.STRING
					}
				}
			}
		}
	}
	return false
}

// checkContext: .dockerignore lets through every file the build compiles or
// embeds, and keeps out what must never reach a builder. That is the
// files of this module and of any module replaced by a directory inside
// the repository (go.mod's replace of the go-sdk, third_party/go-sdk).
func checkContext(t *testing.T, module string, pkgs []goPackage) {
	t.Helper()
	ignore := parseDockerignore(t, ".dockerignore")
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, p := range pkgs {
		if p.Module == nil || p.Dir == "" {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if p.Module.Path != module && (rel == ".." || strings.HasPrefix(rel, "../")) {
			continue // the module cache or GOROOT
		}
		for _, f := range slices.Concat(p.GoFiles, p.SFiles, p.EmbedFiles) {
			needed = append(needed, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(needed) < 20 {
		t.Fatalf("only %d files of the module in the build; go list reported %d packages", len(needed), len(pkgs))
	}
	for _, f := range needed {
		if ignore.excluded(f) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", f)
		}
	}
	for _, f := range []string{
		"deploy/lookout.env", "deploy/.env", ".env", ".git/config", "lookout.db",
		"e2e/node_modules/x/index.js", "internal/vault/vault_test.go", "internal/oauth/testdata/x",
	} {
		if !ignore.excluded(f) {
			t.Errorf(".dockerignore lets %s into the build context", f)
		}
	}
}

func k8sRunAsUser(t *testing.T) string {
	t.Helper()
	dep := one(t, k8sObjects(t), "Deployment")
	uid, _ := dep.get("spec/template/spec/securityContext/runAsUser")
	return uid
}

// TestKubernetesManifests: the probes reach lookout's health endpoints on
// the port it listens on, migrations run first, the Service and the
// disruption budget select the pods, and kustomize applies everything but
// the example Secret.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	objs := k8sObjects(t)
	commands := lookoutCommands(t)
	dep := one(t, objs, "Deployment")
	spec := "spec/template/spec"

	if n := replicasOf(t, dep); n < 2 {
		t.Errorf("replicas %d: want at least 2, so one pod can go while the other serves", n)
	}
	if v, _ := dep.get(spec + "/securityContext/runAsNonRoot"); v != "true" {
		t.Errorf("runAsNonRoot %q, want true", v)
	}
	podLabels := dep.children("spec/template/metadata/labels")
	selects := func(what string, sel map[string]string) {
		if len(sel) == 0 {
			t.Errorf("%s selects nothing", what)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%s, which the pods do not carry (%v)", what, k, v, podLabels)
			}
		}
	}
	selects("the Deployment", dep.children("spec/selector/matchLabels"))
	pdb := one(t, objs, "PodDisruptionBudget")
	selects("the PodDisruptionBudget", pdb.children("spec/selector/matchLabels"))
	svc := one(t, objs, "Service")
	selects("the Service", svc.children("spec/selector"))

	containers := dep.items(spec + "/containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	if args := flowList(mustGet(t, dep, c+"/args")); len(args) == 0 || args[0] != "serve" {
		t.Errorf("container args %v, want [serve]", args)
	}
	ports := map[string]string{}
	for _, p := range dep.items(c + "/ports") {
		name, _ := dep.get(p + "/name")
		ports[name] = mustGet(t, dep, p+"/containerPort")
	}
	addr := containerTarget(t, objs, dep, c, 1).effective()["LOOKOUT_ADDR"].value
	if addr == "" {
		addr = config.DefaultAddr
	}
	_, listen, _ := net.SplitHostPort(addr)
	for name, port := range ports {
		if port != listen {
			t.Errorf("container port %s is %s, but lookout listens on LOOKOUT_ADDR %s", name, port, addr)
		}
	}
	for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		p := c + "/" + probe + "/httpGet"
		if got, _ := dep.get(p + "/path"); got != want {
			t.Errorf("%s path %q, want %s", probe, got, want)
		}
		if port, _ := dep.get(p + "/port"); ports[port] == "" && port != listen {
			t.Errorf("%s port %q is not the container's port", probe, port)
		}
	}
	target, _ := svc.get("spec/ports/0/targetPort")
	if ports[target] == "" && target != listen {
		t.Errorf("Service targetPort %q is not the container's port", target)
	}
	grace, _ := strconv.Atoi(mustGet(t, dep, spec+"/terminationGracePeriodSeconds"))
	if grace <= 30 {
		t.Errorf("terminationGracePeriodSeconds %d: lookout drains for up to 30 s after SIGTERM, so give it more", grace)
	}

	inits := dep.items(spec + "/initContainers")
	migrates := false
	for _, ic := range inits {
		args := flowList(mustGet(t, dep, ic+"/args"))
		if len(args) == 0 || !slices.Contains(commands, args[0]) {
			t.Errorf("init container args %v: want one of lookout's subcommands %v", args, commands)
		}
		if len(args) > 0 && args[0] == "migrate" {
			migrates = true
			if image, _ := dep.get(ic + "/image"); image != mustGet(t, dep, c+"/image") {
				t.Errorf("migrate runs image %s, lookout %s: migrations must come from the same build", image, mustGet(t, dep, c+"/image"))
			}
			if _, ok := containerTarget(t, objs, dep, ic, 1).effective()["DATABASE_URL"]; !ok {
				t.Error("the migrate init container gets no DATABASE_URL")
			}
		}
	}
	if !migrates {
		t.Error("no init container runs lookout migrate")
	}

	kust := one(t, objs, "Kustomization")
	var resources []string
	for _, r := range kust.items("resources") {
		resources = append(resources, mustGet(t, kust, r))
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		listed := slices.Contains(resources, base)
		switch {
		case base == "kustomization.yaml":
		case base == "secret.yaml" && listed:
			t.Error("kustomization.yaml lists secret.yaml: kubectl apply -k would overwrite the real Secret with placeholders")
		case base != "secret.yaml" && !listed:
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
	image := mustGet(t, dep, c+"/image")
	if name, _ := kust.get("images/0/name"); name != image {
		t.Errorf("kustomization.yaml sets image %q, the Deployment uses %q", name, image)
	}
}

func mustGet(t *testing.T, d yamlDoc, path string) string {
	t.Helper()
	v, ok := d.get(path)
	if !ok {
		t.Fatalf("%s: no %s", d.file, strings.ReplaceAll(path, "/", "."))
	}
	return v
}

// TestSystemdUnit: the unit starts serve, stops within its grace period,
// and keeps SQLite in its one writable directory.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	tg, unit := systemdTarget(t)
	get := func(key string) string {
		for _, u := range unit {
			if u.section == "Service" && u.key == key {
				return u.value
			}
		}
		return ""
	}
	start := strings.Fields(get("ExecStart"))
	if len(start) != 2 || !filepath.IsAbs(start[0]) || start[1] != "serve" {
		t.Errorf("ExecStart %v: want /absolute/path/lookout serve", start)
	}
	if !strings.HasPrefix(get("EnvironmentFile"), "/") {
		t.Errorf("EnvironmentFile %q: want an absolute path", get("EnvironmentFile"))
	}
	stop := strings.TrimSuffix(get("TimeoutStopSec"), "s")
	if n, err := strconv.Atoi(stop); err != nil || n <= 30 {
		t.Errorf("TimeoutStopSec %q: lookout drains for up to 30 s after SIGTERM, so give it more", get("TimeoutStopSec"))
	}
	// With ProtectSystem=strict only the StateDirectory is writable: SQLite
	// must live there, also at the default ./lookout.db.
	state := "/var/lib/" + get("StateDirectory")
	if get("StateDirectory") == "" || get("WorkingDirectory") != state {
		t.Errorf("WorkingDirectory %q: want the StateDirectory, %s", get("WorkingDirectory"), state)
	}
	if db := tg.effective()["DATABASE_URL"].value; strings.HasPrefix(db, "sqlite:") {
		if p := strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//"); !strings.HasPrefix(p, state+"/") {
			t.Errorf("DATABASE_URL %s: only %s is writable", db, state)
		}
	}
}
