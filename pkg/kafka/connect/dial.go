package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/IBM/sarama"
)

// ConnectError means no broker answered within the connect timeout.
type ConnectError struct {
	Addrs []string
	After time.Duration
	Err   error  // the last error seen
	Hint  string // a guess at the cause, or ""
}

func (e *ConnectError) Error() string {
	msg := fmt.Sprintf("cannot reach Kafka at %s after %s: %v", strings.Join(e.Addrs, ", "), roundDuration(e.After), e.Err)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *ConnectError) Unwrap() error { return e.Err }

// AuthError means a broker rejected the SASL credentials.
type AuthError struct {
	Mechanism string // as sarama spells it, e.g. SCRAM-SHA-512
	User      string
	Addr      string
	Err       error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("SASL %s authentication as user %q failed at %s: %v", e.Mechanism, e.User, e.Addr, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// TLSError means the TLS handshake with a broker failed.
type TLSError struct {
	Addr string
	Err  error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("TLS handshake with Kafka at %s failed: %v", e.Addr, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }

func roundDuration(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// Connect checks that a broker can be reached within the connect timeout
// (see Probe) and then opens a sarama client on cfg. A nil cfg means
// o.Config(). The caller closes the client.
func (o *Options) Connect(ctx context.Context, cfg *sarama.Config) (sarama.Client, error) {
	if cfg == nil {
		var err error
		if cfg, err = o.Config(); err != nil {
			return nil, err
		}
	}
	if err := o.Probe(ctx, cfg); err != nil {
		return nil, err
	}
	addrs := o.brokers()
	c, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		return nil, fmt.Errorf("kafka at %s: %w", strings.Join(addrs, ", "), err)
	}
	return c, nil
}

// ClusterAdmin opens an admin client the way Connect opens a client.
// Closing the admin closes its client.
func (o *Options) ClusterAdmin(ctx context.Context, cfg *sarama.Config) (sarama.ClusterAdmin, error) {
	c, err := o.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := sarama.NewClusterAdminFromClient(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("kafka admin at %s: %w", strings.Join(o.brokers(), ", "), err)
	}
	return a, nil
}

// Probe connects to the bootstrap brokers one after another — TCP, TLS,
// SASL, and one metadata request — until one answers, retrying refused or
// dropped connections until the connect timeout (or ctx) ends. It returns
// nil, a *ConnectError, an *AuthError (not retried), a *TLSError (not
// retried), or ctx's error. Use it before sarama constructors that take
// addresses, such as sarama.NewConsumerGroup, to fail fast and clearly.
func (o *Options) Probe(ctx context.Context, cfg *sarama.Config) error {
	addrs := o.brokers()
	if len(addrs) == 0 {
		return usagef("--brokers: no broker address given")
	}
	start := time.Now()
	deadline := start.Add(o.timeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var last error
	backoff := 100 * time.Millisecond
	for {
		for _, addr := range addrs {
			remaining := time.Until(deadline)
			if remaining <= 0 {
				break
			}
			err := probeOne(ctx, addr, cfg, remaining, true)
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("connecting to Kafka at %s: %w", addr, ctx.Err())
			}
			if cfg.Net.SASL.Enable && isClosed(err) {
				// Some brokers hang up on bad credentials instead of
				// answering SASL_AUTHENTICATION_FAILED. If the broker
				// answers without SASL, it was the credentials.
				noSASL := *cfg
				noSASL.Net.SASL.Enable = false
				if probeOne(ctx, addr, &noSASL, time.Until(deadline), false) == nil {
					err = fmt.Errorf("%w: the broker closed the connection during authentication", sarama.ErrSASLAuthenticationFailed)
				}
			}
			if isAuthError(err) {
				return &AuthError{Mechanism: string(cfg.Net.SASL.Mechanism), User: cfg.Net.SASL.User, Addr: addr, Err: err}
			}
			if isTLSError(err) {
				return &TLSError{Addr: addr, Err: err}
			}
			last = err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return &ConnectError{Addrs: addrs, After: deadline.Sub(start), Err: last, Hint: hint(last, cfg)}
		}
		wait := min(backoff, remaining)
		backoff = min(2*backoff, time.Second)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("connecting to Kafka at %s: %w", strings.Join(addrs, ", "), ctx.Err())
		case <-t.C:
		}
	}
}

// probeOne opens one broker connection with all timeouts bounded by limit.
// With metadata it also sends one metadata request, which a SASL listener
// only answers after authentication.
func probeOne(ctx context.Context, addr string, cfg *sarama.Config, limit time.Duration, metadata bool) error {
	if limit <= 0 {
		return errors.New("connect timeout reached")
	}
	pc := *cfg
	pc.Net.DialTimeout = min(pc.Net.DialTimeout, limit)
	pc.Net.ReadTimeout = min(pc.Net.ReadTimeout, limit)
	pc.Net.WriteTimeout = min(pc.Net.WriteTimeout, limit)

	b := sarama.NewBroker(addr)
	if err := b.Open(&pc); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		if _, err := b.Connected(); err != nil || !metadata {
			done <- err
			return
		}
		_, err := b.GetMetadata(&sarama.MetadataRequest{Version: 1})
		done <- err
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	var err error
	select {
	case err = <-done:
	case <-t.C:
		err = fmt.Errorf("no answer within %s", roundDuration(limit))
	case <-ctx.Done():
		err = ctx.Err()
	}
	go b.Close() // may block until the connect attempt gives up
	return err
}

func isAuthError(err error) bool {
	return errors.Is(err, sarama.ErrSASLAuthenticationFailed) ||
		errors.Is(err, sarama.ErrIllegalSASLState) ||
		errors.Is(err, sarama.ErrUnsupportedSASLMechanism)
}

func isTLSError(err error) bool {
	var (
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
	)
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &cve) || errors.As(err, &rhe) || errors.As(err, &ae)
}

// hint guesses why a reachable port gave no Kafka answer.
func hint(err error, cfg *sarama.Config) string {
	if err == nil || errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	if !isClosed(err) {
		return ""
	}
	switch {
	case !cfg.Net.TLS.Enable:
		return "the broker closed the connection; if this listener uses TLS, add --tls"
	case !cfg.Net.SASL.Enable:
		return "the broker closed the connection; if this listener needs SASL, add --sasl-mechanism and --sasl-user"
	}
	return "the broker closed the connection"
}

// isClosed reports whether the peer hung up.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
