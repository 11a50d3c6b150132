// Command irisctl scores records with Spark ML pipelines saved as MLeap bundles,
// in batch and as an exactly-once Kafka stream. See the README.
package main

import (
	"os"

	"github.com/irisctl/irisctl/pkg/cli/root"
)

func main() { os.Exit(root.Main(os.Args[1:])) }
