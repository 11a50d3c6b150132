// Package connecttest gives tests a Kafka broker: an in-process kfake
// cluster for unit tests, or the real broker that scripts/kafka.sh starts,
// found through IRISCTL_TEST_* variables (eval "$(scripts/kafka.sh env)").
//
// A real-broker helper skips the test when its variable is unset, unless the
// CI variable is set: then it fails, because CI must never silently skip.
package connecttest

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Variables set by `scripts/kafka.sh env`.
const (
	EnvBrokers          = "IRISCTL_TEST_BROKERS"
	EnvSecureBrokers    = "IRISCTL_TEST_SECURE_BROKERS"
	EnvSASLUser         = "IRISCTL_TEST_SASL_USER"
	EnvSASLPasswordFile = "IRISCTL_TEST_SASL_PASSWORD_FILE"
	EnvTLSCA            = "IRISCTL_TEST_TLS_CA"
	EnvSASLMechanism    = "IRISCTL_TEST_SASL_MECHANISM" // optional; default SCRAM-SHA-512
)

// Broker is how a test reaches a broker.
type Broker struct {
	Brokers string // comma-separated host:port list

	// Set for the secure (SASL_SSL, SCRAM-SHA-512) listener only.
	SASLMechanism    string
	SASLUser         string
	SASLPasswordFile string
	TLSCA            string
}

// Args are the irisctl connection flags for b.
func (b Broker) Args() []string {
	args := []string{"--brokers", b.Brokers}
	if b.TLSCA != "" {
		args = append(args, "--tls", "--tls-ca", b.TLSCA)
	}
	if b.SASLMechanism != "" {
		args = append(args, "--sasl-mechanism", b.SASLMechanism, "--sasl-user", b.SASLUser, "--sasl-password-file", b.SASLPasswordFile)
	}
	return args
}

// need returns the value of each variable, or skips/fails the test.
func need(t testing.TB, names ...string) []string {
	t.Helper()
	var vals, missing []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			missing = append(missing, n)
		}
		vals = append(vals, v)
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("real Kafka broker not configured: %s unset (run: eval \"$(scripts/kafka.sh env)\")", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
		}
		t.Skip(msg)
	}
	return vals
}

// Real returns the real broker's PLAINTEXT listener.
func Real(t testing.TB) Broker {
	t.Helper()
	v := need(t, EnvBrokers)
	return Broker{Brokers: v[0]}
}

// Secure returns the real broker's SASL_SSL listener (SCRAM-SHA-512 unless
// IRISCTL_TEST_SASL_MECHANISM says otherwise).
func Secure(t testing.TB) Broker {
	t.Helper()
	v := need(t, EnvSecureBrokers, EnvSASLUser, EnvSASLPasswordFile, EnvTLSCA)
	mech := strings.ToLower(os.Getenv(EnvSASLMechanism))
	if mech == "" {
		mech = "scram-sha-512"
	}
	return Broker{Brokers: v[0], SASLMechanism: mech, SASLUser: v[1], SASLPasswordFile: v[2], TLSCA: v[3]}
}

// Fake starts an in-process kfake cluster on 127.0.0.1, closed when the test
// ends.
func Fake(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, Broker) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c, Broker{Brokers: strings.Join(c.ListenAddrs(), ",")}
}

var seq atomic.Int64

// Topic returns a topic name unique to this test run.
func Topic(t testing.TB, prefix string) string {
	name := strings.NewReplacer("/", "-", " ", "-", "#", "-").Replace(t.Name())
	if len(name) > 60 {
		name = name[:60]
	}
	return fmt.Sprintf("%s-%s-%d-%d", prefix, name, time.Now().UnixNano()%1e9, seq.Add(1))
}
