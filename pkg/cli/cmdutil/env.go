package cmdutil

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix is the prefix of the environment variables that stand in for flags.
const EnvPrefix = "IRISCTL_"

// EnvName is the variable that sets a flag: --sasl-user → IRISCTL_SASL_USER.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv gives every flag of cmd that was not set on the command line the
// value of its IRISCTL_* variable, so precedence is flags > env > defaults.
func ApplyEnv(cmd *cobra.Command, lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var err error
	apply := func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		v, ok := lookup(EnvName(f.Name))
		if !ok {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = FlagErrorf("%s=%q: %v", EnvName(f.Name), v, e)
			return
		}
		f.Changed = true
	}
	cmd.Flags().VisitAll(apply)
	cmd.InheritedFlags().VisitAll(apply)
	return err
}

// EnvHelp is a help-text line listing the variable for a flag.
func EnvHelp(flag string) string { return fmt.Sprintf("(env %s)", EnvName(flag)) }
