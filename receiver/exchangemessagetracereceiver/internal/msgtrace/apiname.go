package msgtrace

import "fmt"

// apiNames are the config spellings of the APIs (the receiver's `api` key);
// they also name the API in resource attributes and checkpoint keys, so they
// never change.
var apiNames = map[API]string{APIGraph: "graph", APIReporting: "reporting"}

// ParseAPI reads a config value: "graph" or "reporting".
func ParseAPI(s string) (API, error) {
	for a, name := range apiNames {
		if name == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%q is not an API: use \"graph\" (Microsoft Graph messageTraces) or \"reporting\" (legacy Reporting Web Service)", s)
}

// String returns the config spelling of a.
func (a API) String() string {
	if name, ok := apiNames[a]; ok {
		return name
	}
	return fmt.Sprintf("API(%d)", int(a))
}

// MarshalText writes the config spelling, so a config prints as it was written.
func (a API) MarshalText() ([]byte, error) {
	if _, ok := apiNames[a]; !ok {
		return nil, fmt.Errorf("unknown API %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads the config spelling once, when the config is loaded.
func (a *API) UnmarshalText(text []byte) error {
	v, err := ParseAPI(string(text))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
