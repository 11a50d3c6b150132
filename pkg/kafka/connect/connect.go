// Package connect is the one place where irisctl turns Kafka connection
// settings — bootstrap brokers, TLS, SASL (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), client id and connect timeout — into a *sarama.Config, and
// where it opens connections with a bounded wait and errors that say what
// went wrong and where (the address, the SASL mechanism).
//
// Every Kafka command embeds an Options, calls AddFlags on its flag set, and
// then Config and Connect (or Probe before building a sarama consumer group or
// producer itself).
//
// It is not a Kafka client wrapper: producer, consumer, transaction and admin
// settings (idempotence, isolation level, acks, exactly-once) belong to the
// code that uses them and are set on the returned config. It never logs or
// prints the SASL password.
package connect

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/spf13/pflag"
)

// Defaults used by AddFlags and by Config when a field is empty.
const (
	DefaultBroker         = "localhost:9092"
	DefaultClientID       = "irisctl"
	DefaultConnectTimeout = 10 * time.Second

	// PasswordEnv holds the SASL password when --sasl-password-file is not given.
	PasswordEnv = "IRISCTL_SASL_PASSWORD"
)

// KafkaVersion is the protocol ceiling irisctl asks for; sarama negotiates
// each request down to what the broker supports.
var KafkaVersion = sarama.V3_9_0_0

// SASL mechanisms as spelled on the command line.
const (
	MechanismPlain       = "plain"
	MechanismSCRAMSHA256 = "scram-sha-256"
	MechanismSCRAMSHA512 = "scram-sha-512"
)

// Options are the connection settings shared by every Kafka command.
type Options struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string

	// TLS turns on TLS; setting TLSCA, TLSCert or TLSKey implies it.
	TLS     bool
	TLSCA   string // PEM file with the CAs to trust instead of the system pool
	TLSCert string // PEM client certificate (with TLSKey) for mutual TLS
	TLSKey  string

	// SASLMechanism is plain, scram-sha-256 or scram-sha-512 (any case); empty
	// means no SASL.
	SASLMechanism    string
	SASLUser         string
	SASLPasswordFile string
	// SASLPassword is used when SASLPasswordFile is empty; when it is empty
	// too, the environment variable IRISCTL_SASL_PASSWORD is read.
	SASLPassword string

	ClientID string

	// ConnectTimeout bounds how long Connect and Probe keep trying to reach
	// the brokers; zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// LookupEnv reads the environment; nil means os.LookupEnv. Tests set it.
	LookupEnv func(string) (string, bool)
}

// String describes the options without the password.
func (o Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "brokers=%s", strings.Join(o.Brokers, ","))
	if o.tlsOn() {
		b.WriteString(" tls")
	}
	if o.SASLMechanism != "" {
		fmt.Fprintf(&b, " sasl=%s user=%q", strings.ToUpper(o.SASLMechanism), o.SASLUser)
	}
	return b.String()
}

// GoString keeps %#v from printing the password.
func (o Options) GoString() string { return "connect.Options{" + o.String() + "}" }

// AddFlags adds the connection flags to fs. The root command maps each of
// them to an IRISCTL_* environment variable (--brokers → IRISCTL_BROKERS).
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Brokers, "brokers", []string{DefaultBroker}, "Kafka bootstrap brokers, host:port, comma separated")
	fs.BoolVar(&o.TLS, "tls", false, "connect with TLS (implied by --tls-ca, --tls-cert, --tls-key)")
	fs.StringVar(&o.TLSCA, "tls-ca", "", "PEM `file` of CA certificates to trust instead of the system's")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "PEM client certificate `file` for mutual TLS (needs --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "PEM client key `file` for mutual TLS (needs --tls-cert)")
	fs.StringVar(&o.SASLMechanism, "sasl-mechanism", "", "SASL `mechanism`: plain, scram-sha-256 or scram-sha-512")
	fs.StringVar(&o.SASLUser, "sasl-user", "", "SASL user `name`")
	fs.StringVar(&o.SASLPasswordFile, "sasl-password-file", "", "`file` holding the SASL password (else env "+PasswordEnv+")")
	fs.StringVar(&o.ClientID, "client-id", DefaultClientID, "Kafka client id sent to the brokers")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", DefaultConnectTimeout, "how long to keep trying to reach the brokers")
}

// UsageError reports connection options that cannot work (a missing user, an
// unknown mechanism, a malformed address). Commands treat it as a usage error.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

func (o *Options) tlsOn() bool {
	return o.TLS || o.TLSCA != "" || o.TLSCert != "" || o.TLSKey != ""
}

func (o *Options) timeout() time.Duration {
	if o.ConnectTimeout <= 0 {
		return DefaultConnectTimeout
	}
	return o.ConnectTimeout
}

// brokers returns the trimmed, non-empty broker addresses.
func (o *Options) brokers() []string {
	var out []string
	for _, b := range o.Brokers {
		for _, s := range strings.Split(b, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// BrokerList returns the bootstrap addresses as given, trimmed.
func (o *Options) BrokerList() []string { return o.brokers() }

// mechanism maps the flag spelling to sarama's.
func mechanism(s string) (sarama.SASLMechanism, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case MechanismPlain:
		return sarama.SASLTypePlaintext, nil
	case MechanismSCRAMSHA256:
		return sarama.SASLTypeSCRAMSHA256, nil
	case MechanismSCRAMSHA512:
		return sarama.SASLTypeSCRAMSHA512, nil
	}
	return "", usagef("--sasl-mechanism %q: want plain, scram-sha-256 or scram-sha-512", s)
}

// Validate checks the options without touching files or the network.
func (o *Options) Validate() error {
	brokers := o.brokers()
	if len(brokers) == 0 {
		return usagef("--brokers: no broker address given")
	}
	for _, b := range brokers {
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			return usagef("--brokers: %q is not host:port", b)
		}
		if host == "" {
			return usagef("--brokers: %q has no host", b)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return usagef("--brokers: %q has no valid port", b)
		}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if o.SASLMechanism == "" {
		if o.SASLUser != "" || o.SASLPasswordFile != "" {
			return usagef("--sasl-user and --sasl-password-file need --sasl-mechanism")
		}
	} else {
		if _, err := mechanism(o.SASLMechanism); err != nil {
			return err
		}
		if o.SASLUser == "" {
			return usagef("--sasl-mechanism %s needs --sasl-user", o.SASLMechanism)
		}
	}
	if o.ConnectTimeout < 0 {
		return usagef("--connect-timeout must not be negative")
	}
	return nil
}

// password reads the SASL password: the file first, then SASLPassword, then
// the environment. It never includes the password in an error.
func (o *Options) password() (string, error) {
	if o.SASLPasswordFile != "" {
		b, err := os.ReadFile(o.SASLPasswordFile)
		if err != nil {
			return "", fmt.Errorf("reading --sasl-password-file: %w", err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", fmt.Errorf("--sasl-password-file %s is empty", o.SASLPasswordFile)
		}
		return p, nil
	}
	if o.SASLPassword != "" {
		return o.SASLPassword, nil
	}
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if p, ok := lookup(PasswordEnv); ok && p != "" {
		return p, nil
	}
	return "", usagef("--sasl-mechanism %s needs a password: --sasl-password-file or env %s", o.SASLMechanism, PasswordEnv)
}

func (o *Options) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate found", o.TLSCA)
		}
		c.RootCAs = pool
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading --tls-cert %s / --tls-key %s: %w", o.TLSCert, o.TLSKey, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Config validates the options and builds a sarama config with the
// connection settings filled in; callers add their producer/consumer
// settings. Errors from bad flag combinations are *UsageError.
func (o *Options) Config() (*sarama.Config, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := sarama.NewConfig()
	cfg.Version = KafkaVersion
	cfg.ClientID = o.ClientID
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	t := o.timeout()
	cfg.Net.DialTimeout = t
	cfg.Metadata.Retry.Max = 3
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond

	if o.tlsOn() {
		tc, err := o.tlsConfig()
		if err != nil {
			return nil, err
		}
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = tc
	}
	if o.SASLMechanism != "" {
		mech, _ := mechanism(o.SASLMechanism) // checked by Validate
		pw, err := o.password()
		if err != nil {
			return nil, err
		}
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Handshake = true
		cfg.Net.SASL.Version = sarama.SASLHandshakeV1
		cfg.Net.SASL.Mechanism = mech
		cfg.Net.SASL.User = o.SASLUser
		cfg.Net.SASL.Password = pw
		switch mech {
		case sarama.SASLTypeSCRAMSHA256:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha256Hash)
		case sarama.SASLTypeSCRAMSHA512:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha512Hash)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client config: %w", err)
	}
	return cfg, nil
}
