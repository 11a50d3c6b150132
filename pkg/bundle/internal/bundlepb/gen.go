// Package bundlepb holds the generated protobuf types for Bundle.ML's
// protobuf files. Regenerate with `go generate ./pkg/bundle/...` (needs protoc
// and protoc-gen-go).
package bundlepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative bundle.proto dtree.proto
