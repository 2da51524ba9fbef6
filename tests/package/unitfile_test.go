//go:build package

package packagetest

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// unitFile is a parsed systemd unit: section -> key -> values, in order
// (a key may repeat, as SystemCallFilter= does).
type unitFile map[string]map[string][]string

func parseUnit(path string) (unitFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case strings.HasSuffix(line, `\`):
			return nil, fmt.Errorf("%s:%d: continuation lines are not supported by this parser", path, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("%s:%d: not a key=value in a section: %q", path, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	return u, sc.Err()
}

// one returns the single value of key in [Service] (or [Unit]), "" if unset.
func (u unitFile) one(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// plainCommand splits an Exec*= line of plain words. It refuses what it
// would misread (quotes, escapes, $ and % specifiers, prefixes like - or +)
// rather than run something else than systemd would.
func plainCommand(line string) ([]string, error) {
	if strings.ContainsAny(line, "\"'\\$%;") || strings.ContainsAny(line[:1], "-@+!:|") {
		return nil, fmt.Errorf("command line %q needs systemd's full parser", line)
	}
	return strings.Fields(line), nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseEnvFile reads a file as systemd's EnvironmentFile= does: NAME=value
// lines, # and ; comments, blank lines skipped, whitespace around the value
// trimmed, one pair of enclosing quotes removed ("..." with \-escapes).
// Lines it cannot read are errors here (systemd ignores them with a
// warning), so that the shipped template cannot carry one unnoticed.
func parseEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || !envName.MatchString(k) {
			return nil, fmt.Errorf("%s:%d: not NAME=value: %q", path, n+1, line)
		}
		switch {
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = regexp.MustCompile(`\\(.)`).ReplaceAllString(v[1:len(v)-1], "$1")
		case strings.ContainsAny(v, `"'\`):
			return nil, fmt.Errorf("%s:%d: %s: quote or escape inside a value is not supported here", path, n+1, k)
		}
		env[k] = v
	}
	return env, nil
}
