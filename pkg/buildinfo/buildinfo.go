// Package buildinfo holds the version stamped into the binary at release
// time (goreleaser ldflags); it falls back to the Go module build info.
package buildinfo

import "runtime/debug"

// Set by -ldflags "-X github.com/irisctl/irisctl/pkg/buildinfo.Version=...".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// String is the one-line version shown by `irisctl --version`.
func String() string {
	v, c := Version, Commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					c = s.Value[:12]
				}
			}
		}
	}
	s := v
	if c != "" {
		s += " (" + c
		if Date != "" {
			s += ", " + Date
		}
		s += ")"
	}
	return s
}
