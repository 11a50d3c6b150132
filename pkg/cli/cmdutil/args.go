package cmdutil

import "github.com/spf13/cobra"

// NoArgs is cobra.NoArgs as a usage error (exit status 2).
func NoArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q", args[0])
	}
	return nil
}
