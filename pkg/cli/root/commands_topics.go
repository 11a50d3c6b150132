package root

import "github.com/irisctl/irisctl/pkg/cli/topics"

func init() { subcommands = append(subcommands, topics.NewCmdTopics) }
