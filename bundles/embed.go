// Package bundles holds the bundles trained by scripts/train.sh. The iris
// random forest is embedded in the binary as the default model, so
// `irisctl score < data.csv` works with no flags.
package bundles

import _ "embed"

// DefaultName names the embedded bundle in messages.
const DefaultName = "iris-rf.zip (built in)"

// DefaultZip is bundles/iris-rf.zip.
//
//go:embed iris-rf.zip
var DefaultZip []byte
