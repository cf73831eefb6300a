package vault_test

import (
	"bufio"
	"bytes"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/lookout-hq/lookout"

// Issue #8: no package outside the vault and internal/oauth can obtain a
// token string. The test type-checks the exported API of every package of
// the module and follows everything a caller can get out of it: results of
// exported functions and methods, exported variables, exported fields of
// what those return, elements of slices, maps, pointers and channels, and
// results of returned functions. None of it may lead to a secret.Value (its
// Reveal yields the text) or to a sentry.TokenSource (its Token yields the
// token). Roots are skipped only in the packages that own such values by
// design: secret itself, config (the configured secrets), sentry (a
// TokenSource is what its client is given) and oauth (Sentry's answers,
// handed straight to the vault as opaque vault.Tokens; the walk still
// checks that a vault.Token leads nowhere).
func TestNoTokenOutsideTheVault(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the whole module")
	}
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{.Name}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	var pkgs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			continue
		}
		exports[f[0]] = f[1]
		if strings.HasPrefix(f[0], module+"/") && f[2] != "main" && f[1] != "" { // "": test-only packages export nothing
			pkgs = append(pkgs, f[0])
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	load := func(path string) *types.Package {
		p, err := imp.Import(path)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		return p
	}
	secretValue := load(module + "/internal/secret").Scope().Lookup("Value").Type()
	tokenSource := load(module + "/internal/sentry").Scope().Lookup("TokenSource").Type().Underlying().(*types.Interface)
	vaultToken := load(module + "/internal/vault").Scope().Lookup("Token").Type()

	w := &apiWalk{t: t, secret: secretValue, source: tokenSource, seen: map[types.Type]bool{}}
	// A vault.Token, which oauth hands out, must lead nowhere: no exported
	// fields, and no methods but these.
	if st := vaultToken.Underlying().(*types.Struct); true {
		for f := range st.Fields() {
			if f.Exported() {
				t.Errorf("vault.Token has the exported field %s", f.Name())
			}
		}
	}
	allowed := map[string]bool{"Expiry": true, "Format": true, "LogValue": true, "MarshalJSON": true}
	for sel := range types.NewMethodSet(types.NewPointer(vaultToken)).Methods() {
		if sel.Obj().Exported() && !allowed[sel.Obj().Name()] {
			t.Errorf("vault.Token has the method %s: a Token must stay opaque outside the vault", sel.Obj().Name())
		}
	}
	w.walk(vaultToken, "vault.Token")
	skip := map[string]bool{"internal/secret": true, "internal/config": true, "internal/sentry": true, "internal/oauth": true}
	for _, path := range pkgs {
		if skip[strings.TrimPrefix(path, module+"/")] || strings.Contains(path, "test") {
			continue
		}
		p := load(path)
		for _, name := range p.Scope().Names() {
			obj := p.Scope().Lookup(name)
			if !obj.Exported() {
				continue
			}
			where := p.Name() + "." + name
			switch o := obj.(type) {
			case *types.Func:
				w.results(o.Type().(*types.Signature), where)
			case *types.Var:
				w.walk(o.Type(), where)
			case *types.TypeName:
				w.methods(o.Type(), where)
			}
		}
	}
	if w.checked < 50 {
		t.Fatalf("walked only %d types: the walk is broken", w.checked)
	}
}

type apiWalk struct {
	t       *testing.T
	secret  types.Type
	source  *types.Interface
	seen    map[types.Type]bool
	checked int
}

func (w *apiWalk) results(sig *types.Signature, where string) {
	for v := range sig.Results().Variables() {
		w.walk(v.Type(), where+"()")
	}
}

// methods follows the results of T's and *T's exported methods.
func (w *apiWalk) methods(typ types.Type, where string) {
	for _, t := range []types.Type{typ, types.NewPointer(typ)} {
		ms := types.NewMethodSet(t)
		for sel := range ms.Methods() {
			if sel.Obj().Exported() {
				w.results(sel.Type().(*types.Signature), where+"."+sel.Obj().Name())
			}
		}
	}
}

func (w *apiWalk) walk(typ types.Type, where string) {
	if typ == nil || w.seen[typ] {
		return
	}
	w.seen[typ] = true
	w.checked++
	if types.Identical(typ, w.secret) {
		w.t.Errorf("%s yields a secret.Value (its Reveal is the secret's text)", where)
		return
	}
	if _, isIface := typ.Underlying().(*types.Interface); !isIface &&
		(types.Implements(typ, w.source) || types.Implements(types.NewPointer(typ), w.source)) {
		w.t.Errorf("%s yields a sentry.TokenSource (%s): its Token method returns the token", where, typ)
		return
	}
	if types.Identical(typ, w.source) {
		w.t.Errorf("%s yields a sentry.TokenSource: its Token method returns the token", where)
		return
	}
	switch u := typ.(type) {
	case *types.Named:
		w.methods(u, where)
		w.walk(u.Underlying(), where)
	case *types.Pointer:
		w.walk(u.Elem(), where)
	case *types.Slice:
		w.walk(u.Elem(), where+"[i]")
	case *types.Array:
		w.walk(u.Elem(), where+"[i]")
	case *types.Map:
		w.walk(u.Key(), where+"[key]")
		w.walk(u.Elem(), where+"[k]")
	case *types.Chan:
		w.walk(u.Elem(), where+"<-")
	case *types.Signature:
		w.results(u, where)
	case *types.Struct:
		for f := range u.Fields() {
			if f.Exported() {
				w.walk(f.Type(), where+"."+f.Name())
			}
		}
	case *types.Interface:
		for m := range u.Methods() {
			if m.Exported() {
				w.results(m.Type().(*types.Signature), where+"."+m.Name())
			}
		}
	}
}
