// Command lookout runs Sentry investigations for people asking from Slack
// or from MCP clients, each with their own Sentry access.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a command may touch of the outside world, so tests
// can run commands in-process.
type environment struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// self is how the user invoked lookout ("lookout", "./lookout"), for
	// command lines printed back to them.
	self string
}

func commands() []command {
	cs := append(serverCommands(),
		command{"mcp", "serve the Sentry tools over MCP on stdio, with one Sentry token", runMCP},
		command{"version", "print the version and exit", runVersion},
	)
	slices.SortFunc(cs, func(a, b command) int { return strings.Compare(a.name, b.name) })
	return cs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, self: invokedAs(os.Args[0])}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, env *environment, args []string) int {
	switch {
	case len(args) == 0:
		usage(env.stderr)
		return 2
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
		usage(env.stdout)
		return 0
	case args[0] == "--version" || args[0] == "-v" || args[0] == "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			default:
				fmt.Fprintf(env.stderr, "lookout %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(env.stderr, "lookout: unknown command %q\n%s\n", args[0], buildNote)
	usage(env.stderr)
	return 2
}

// errUsage reports bad flags; the flag package has already said what.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lookout <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'lookout <command> --help' for the flags of a command, 'lookout --version' for the version.")
}

// invokedAs is what to call lookout in command lines printed for the user:
// the path they ran (./lookout) when there is one, else "lookout" (on
// PATH, or a `go run` build, in a go-build directory gone once it exits).
func invokedAs(arg0 string) string {
	if !strings.ContainsRune(arg0, os.PathSeparator) || strings.Contains(arg0, string(os.PathSeparator)+"go-build") {
		return "lookout"
	}
	return arg0
}

// newFlagSet returns a flag set that reports errors instead of exiting.
// --help prints the synopsis and the flags to stdout; a bad flag is
// reported on stderr with a pointer to --help (see parseFlags).
func newFlagSet(env *environment, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("lookout "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	setHelp(env, fs, synopsis, "")
	return fs
}

// setHelp makes --help print the synopsis, the flags and then more, a
// command's own notes (such as the variables it reads).
func setHelp(env *environment, fs *flag.FlagSet, synopsis, more string) {
	fs.Usage = func() {
		fmt.Fprintf(env.stdout, "usage: lookout %s\n", synopsis)
		if hasFlags(fs) {
			fmt.Fprintln(env.stdout, "\nflags:")
			printFlags(env.stdout, fs)
		}
		if more != "" {
			fmt.Fprintf(env.stdout, "\n%s", more)
		}
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printFlags lists fs's flags the way the README writes them: --name=VALUE
// (Go's flag package accepts --name as well as -name; its own listing shows
// only -name). VALUE is the back-quoted word of the usage, as with
// flag.PrintDefaults, else the last word of the name: --base-url=URL.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	const col = 26
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			if !strings.Contains(f.Usage, "`") {
				value = f.Name[strings.LastIndex(f.Name, "-")+1:]
			}
			name += "=" + strings.ToUpper(value)
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			usage += " (default " + def + ")"
		}
		if len(name) < col-3 {
			fmt.Fprintf(w, "  %-*s %s\n", col-3, name, usage)
		} else {
			fmt.Fprintf(w, "  %s\n  %*s %s\n", name, col-3, "", usage)
		}
	})
}

// singleDash finds the -name the flag package writes in its errors.
var singleDash = regexp.MustCompile(`(^|[ :])-([A-Za-z])`)

// parseFlags parses args, mapping flag errors to errUsage. The flag
// package's message is kept, written with --, and followed by a pointer to
// --help instead of the whole listing.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, help := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = help
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	case err != nil:
		fmt.Fprintf(out, "%s: %s\n", fs.Name(), singleDash.ReplaceAllString(err.Error(), "$1--$2"))
	case fs.NArg() > 0:
		fmt.Fprintf(out, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
	default:
		return nil
	}
	fmt.Fprintf(out, "Run '%s --help' for its flags.\n", fs.Name())
	return errUsage
}
