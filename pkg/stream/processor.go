package stream

import (
	"fmt"
	"runtime/debug"
)

// Processor turns the value of one input record into the value of its output
// record. It appends the output to dst and returns the extended slice, like
// strconv.AppendInt; it must not keep value or dst.
//
// A non-nil error rejects the record: the stream sends the input to the
// dead-letter topic with err.Error() as the reason and goes on. A panic is
// treated the same way. The stream calls Process from one goroutine per
// owned input partition: it must be safe for concurrent use, or implement
// Cloner.
type Processor interface {
	Process(dst, value []byte) ([]byte, error)
}

// Cloner is implemented by processors that are not safe for concurrent use
// (a scorer with its own row buffers): each partition worker calls Clone
// once per model and uses its clone from one goroutine only.
type Cloner interface {
	Clone() Processor
}

// forWorker returns the processor one worker goroutine may use.
func forWorker(p Processor) Processor {
	if c, ok := p.(Cloner); ok {
		return c.Clone()
	}
	return p
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(dst, value []byte) ([]byte, error)

// Process calls f.
func (f ProcessorFunc) Process(dst, value []byte) ([]byte, error) { return f(dst, value) }

// PassThrough copies the value unchanged: the baseline of the benchmark.
var PassThrough Processor = ProcessorFunc(func(dst, value []byte) ([]byte, error) {
	return append(dst, value...), nil
})

// Model is what the stream runs: a processor and the identity written into
// the headers of every output record (empty fields are left out).
type Model struct {
	Processor Processor
	Name      string
	UID       string
}

// process runs p on value and turns a panic into an error, so that one
// record can never stop the stream.
func process(p Processor, dst, value []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return p.Process(dst, value)
}

type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("processor panic: %v", e.value) }
