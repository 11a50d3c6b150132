package root

import "github.com/irisctl/irisctl/pkg/cli/bundle"

func init() { subcommands = append(subcommands, bundle.NewCmdBundle) }
