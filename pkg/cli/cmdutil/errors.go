// Package cmdutil holds what every irisctl command shares: typed errors that
// map to exit codes, and small flag helpers. It knows nothing of Kafka or MLeap.
package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes of irisctl.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed: bad input, broker error, ...
	ExitUsage = 2 // the command line itself was wrong
)

// ExitError ends a command with a given exit code. A nil Err means the
// command already told the user what went wrong.
type ExitCodeError struct {
	Code int
	Err  error
}

func (e *ExitCodeError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitCodeError) Unwrap() error { return e.Err }

// ErrSilent fails a command whose messages were already printed.
var ErrSilent = &ExitCodeError{Code: ExitError}

// FlagError marks a usage mistake; it exits with ExitUsage.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitCodeError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return ExitUsage
	}
	return ExitError
}
