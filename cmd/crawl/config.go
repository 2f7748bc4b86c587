package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Settings come from four places, in this order of precedence: a flag on the command line,
// a CRAWL_<FLAG> variable (CRAWL_MAX_DEPTH for --max-depth), the config file, the default.
// The config file is TOML (chosen over YAML for having one obvious way to write a string, a
// number and a list, and no implicit types: no "no" read as false), one key per flag,
// named as the flag:
//
//	db = "site.db"
//	max-depth = 3
//	include = ["^https://example\\.org/docs/"]
//	timeout = "30s"
//
// A key applies to every command that has a flag of that name (db to crawl, export, report
// and status); a key that is no flag of any command is an error, so a typo is not ignored.

const (
	configFlag = "config"
	configEnv  = "CRAWL_CONFIG"
	envPrefix  = "CRAWL_"
)

// envName is the variable of a flag: CRAWL_ and the name in upper case, - as _.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// settable reports whether a flag takes its value from the environment and the config file:
// every flag but help, version and config itself.
func settable(f *pflag.Flag) bool {
	return f.Name != "help" && f.Name != "version" && f.Name != configFlag
}

// repeatable reports a flag that may be given more than once.
func repeatable(f *pflag.Flag) bool { return f.Value.Type() == "stringArray" }

// Where a value came from, as crawl config --show says it.
const (
	fromFlag    = "flag"
	fromDefault = "default"
)

// applySettings fills the flags of cmd that the command line did not set, from CRAWL_
// variables and then the config file.
func applySettings(cmd *cobra.Command, e *env) error {
	_, err := resolveSettings(cmd, e)
	return err
}

// resolveSettings is applySettings, returning where each flag's value came from.
func resolveSettings(cmd *cobra.Command, e *env) (map[string]string, error) {
	fs := cmd.Flags()
	sources := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			sources[f.Name] = fromFlag
		}
	})
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || !settable(f) {
			return
		}
		name := envName(f.Name)
		v, ok := e.getenv(name)
		if !ok {
			return
		}
		values := []string{v}
		if repeatable(f) {
			values = strings.FieldsFunc(v, func(r rune) bool { return r == '\n' })
		}
		if serr := setFlag(fs, f, values); serr != nil {
			err = badUsage(cmd, "%s=%q: %v", name, v, serr)
			return
		}
		sources[f.Name] = "env " + name
	})
	if err != nil {
		return nil, err
	}
	path, _ := fs.GetString(configFlag)
	via := "--" + configFlag
	if !fs.Changed(configFlag) {
		path, _ = e.getenv(configEnv)
		via = configEnv
	}
	if path != "" {
		sources[configFlag] = via
		if err := applyConfigFile(cmd, path, sources); err != nil {
			return nil, badUsage(cmd, "%v", err)
		}
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if sources[f.Name] == "" {
			sources[f.Name] = fromDefault
		}
	})
	return sources, nil
}

// setFlag sets a flag from values: one for a single-valued flag, each in turn for a
// repeatable one.
func setFlag(fs *pflag.FlagSet, f *pflag.Flag, values []string) error {
	if len(values) != 1 && !repeatable(f) {
		return fmt.Errorf("--%s takes one value, not %d", f.Name, len(values))
	}
	for _, v := range values {
		if err := fs.Set(f.Name, v); err != nil {
			return err
		}
	}
	return nil
}

// applyConfigFile sets, from the TOML file at path, the flags of cmd that have no value
// from the command line or the environment yet.
func applyConfigFile(cmd *cobra.Command, path string, sources map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var settings map[string]any
	md, err := toml.Decode(string(data), &settings)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	known := longFlags(cmd.Root())
	fs := cmd.Flags()
	for _, key := range md.Keys() {
		name := key[0]
		where := fmt.Sprintf("%s:%d", path, keyLine(data, name))
		if len(key) > 1 {
			continue // a table's own keys: the table is refused below
		}
		v := settings[name]
		if _, table := v.(map[string]any); table {
			return fmt.Errorf("%s: [%s]: tables are not read; write each setting at the top, named as its flag", where, name)
		}
		if _, ok := known[name]; !ok || name == configFlag || name == "help" || name == "version" {
			return fmt.Errorf("%s: unknown setting %q: no command has a flag --%s", where, name, name)
		}
		f := fs.Lookup(name)
		if f == nil || sources[name] != "" {
			continue // another command's flag, or set by a flag or variable
		}
		values, err := tomlValues(v)
		if err == nil {
			err = setFlag(fs, f, values)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %v", where, name, err)
		}
		sources[name] = "file " + where
	}
	return nil
}

// tomlValues turns a TOML value into the text of flag values.
func tomlValues(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case int64:
		return []string{strconv.FormatInt(v, 10)}, nil
	case float64:
		return []string{strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case bool:
		return []string{strconv.FormatBool(v)}, nil
	case []any:
		var out []string
		for _, x := range v {
			xs, err := tomlValues(x)
			if err != nil || len(xs) != 1 {
				return nil, fmt.Errorf("a list holds only strings and numbers")
			}
			out = append(out, xs...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a value of type %T is not a flag value", v)
}

// keyLine returns the line of the file where key is set, for error messages (0 if not found).
func keyLine(data []byte, key string) int {
	re := regexp.MustCompile(`^\s*(?:` + regexp.QuoteMeta(key) + `|"` + regexp.QuoteMeta(key) + `"|'` + regexp.QuoteMeta(key) + `'|\[\s*` + regexp.QuoteMeta(key) + `\s*\])\s*(=|$)`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

const configLong = `Print the settings a command would run with, and where each value comes from: a flag
on the command line, a CRAWL_ variable, the config file (with its line) or the default.
The output is itself a valid config file. Give the command and its flags after --show:

  crawl config --show                            the crawl's settings
  crawl config --show --config crawl.toml -l 2   with this file and that flag
  crawl config --show export --format gexf       the settings of crawl export`

func newConfigCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:                "config --show [command] [flags]",
		Short:              "show the settings a command would run with, and where each comes from",
		Long:               configLong,
		DisableFlagParsing: true, // the flags are those of the command shown
		RunE: func(cmd *cobra.Command, args []string) error {
			return showConfig(cmd, e, args)
		},
	}
}

// showConfig is crawl config --show: it parses args as the named command would, resolves the
// settings as it would, and prints them as TOML, each with its source.
func showConfig(cmd *cobra.Command, e *env, args []string) error {
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--show" })
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		printHelp(cmd, e.stdout)
		return nil
	}
	root := newRootCommand(e)
	target := root
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, _, err := root.Find(args[:1])
		if err != nil || sub == root || sub.Name() == "config" || !sub.HasAvailableFlags() {
			return badUsage(cmd, "%q: give crawl, export, report or status", args[0])
		}
		target, args = sub, args[1:]
	}
	if err := target.ParseFlags(normalizeArgs(args, longFlags(root))); err != nil {
		return badUsage(cmd, "%v", err)
	}
	sources, err := resolveSettings(target, e)
	if err != nil {
		return err
	}
	printSettings(e.stdout, target, sources)
	return nil
}

// printSettings writes the settable flags of cmd as TOML, each with its source as a comment.
func printSettings(w io.Writer, cmd *cobra.Command, sources map[string]string) {
	name := cmd.CommandPath()
	if cmd.Name() == "crawl" {
		name = "crawl"
	}
	fmt.Fprintf(w, "# %s: each setting and where its value comes from\n", name)
	if path, _ := cmd.Flags().GetString(configFlag); path != "" {
		fmt.Fprintf(w, "# config file: %s (%s)\n", path, sources[configFlag])
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !settable(f) || f.Hidden {
			return
		}
		line := f.Name + " = " + tomlValue(f)
		fmt.Fprintf(w, "%-40s # %s\n", line, sources[f.Name])
	})
}

// tomlValue is the value of f in TOML.
func tomlValue(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool", "int", "int64", "float64":
		return f.Value.String()
	case "stringArray":
		sv, _ := f.Value.(pflag.SliceValue)
		var parts []string
		for _, s := range sv.GetSlice() {
			parts = append(parts, tomlString(s))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return tomlString(f.Value.String())
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
