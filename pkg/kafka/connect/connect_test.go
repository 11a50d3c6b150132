package connect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/irisctl/irisctl/pkg/kafka/connect/connecttest"
)

func noEnv(string) (string, bool) { return "", false }

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAddFlagsDefaults(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	o.AddFlags(fs)
	for _, f := range []string{"brokers", "tls", "tls-ca", "tls-cert", "tls-key", "sasl-mechanism", "sasl-user", "sasl-password-file", "client-id", "connect-timeout"} {
		if fs.Lookup(f) == nil {
			t.Errorf("flag --%s missing", f)
		}
	}
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.Brokers, ","); got != DefaultBroker {
		t.Errorf("default brokers %q", got)
	}
	if o.ClientID != "irisctl" || o.ConnectTimeout != 10*time.Second {
		t.Errorf("defaults: client id %q, timeout %s", o.ClientID, o.ConnectTimeout)
	}
	if err := fs.Parse([]string{"--brokers", "a:1,b:2", "--brokers", "c:3"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.BrokerList(), ","); got != "a:1,b:2,c:3" {
		t.Errorf("brokers %q", got)
	}
}

func TestValidateRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no brokers", Options{}, "no broker"},
		{"no port", Options{Brokers: []string{"localhost"}}, "host:port"},
		{"bad port", Options{Brokers: []string{"localhost:http"}}, "port"},
		{"cert without key", Options{Brokers: []string{"h:1"}, TLSCert: "c.pem"}, "--tls-key"},
		{"user without mechanism", Options{Brokers: []string{"h:1"}, SASLUser: "u"}, "--sasl-mechanism"},
		{"unknown mechanism", Options{Brokers: []string{"h:1"}, SASLMechanism: "gssapi", SASLUser: "u"}, "scram-sha-512"},
		{"mechanism without user", Options{Brokers: []string{"h:1"}, SASLMechanism: "plain"}, "--sasl-user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.o.Config()
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a UsageError mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigSASLMechanismsAndPassword(t *testing.T) {
	const secret = "s3cr3t-pw"
	pwFile := writeFile(t, "pw", secret+"\r\n")
	for _, tc := range []struct {
		mech string
		want sarama.SASLMechanism
	}{{"plain", sarama.SASLTypePlaintext}, {"SCRAM-SHA-256", sarama.SASLTypeSCRAMSHA256}, {"scram-sha-512", sarama.SASLTypeSCRAMSHA512}} {
		o := Options{Brokers: []string{"h:1"}, SASLMechanism: tc.mech, SASLUser: "alice", SASLPasswordFile: pwFile, LookupEnv: noEnv}
		cfg, err := o.Config()
		if err != nil {
			t.Fatalf("%s: %v", tc.mech, err)
		}
		if cfg.Net.SASL.Mechanism != tc.want || cfg.Net.SASL.Password != secret || cfg.Net.SASL.User != "alice" {
			t.Errorf("%s: mechanism %s user %q password ok=%v", tc.mech, cfg.Net.SASL.Mechanism, cfg.Net.SASL.User, cfg.Net.SASL.Password == secret)
		}
		if strings.HasPrefix(string(tc.want), "SCRAM") && cfg.Net.SASL.SCRAMClientGeneratorFunc == nil {
			t.Errorf("%s: no SCRAM client", tc.mech)
		}
		if !cfg.Version.IsAtLeast(sarama.V3_9_0_0) {
			t.Errorf("version %s", cfg.Version)
		}
		for _, s := range []string{o.String(), fmt.Sprintf("%v %+v %#v", o, o, o)} {
			if strings.Contains(s, secret) {
				t.Errorf("password printed: %s", s)
			}
		}
	}

	// From the environment when there is no file.
	o := Options{Brokers: []string{"h:1"}, SASLMechanism: "plain", SASLUser: "bob",
		LookupEnv: func(k string) (string, bool) { return "from-env", k == PasswordEnv }}
	cfg, err := o.Config()
	if err != nil || cfg.Net.SASL.Password != "from-env" {
		t.Fatalf("env password: %v", err)
	}

	// Missing and empty passwords are errors that name where to put one.
	o = Options{Brokers: []string{"h:1"}, SASLMechanism: "plain", SASLUser: "bob", LookupEnv: noEnv}
	if _, err := o.Config(); err == nil || !strings.Contains(err.Error(), PasswordEnv) {
		t.Fatalf("missing password: %v", err)
	}
	o.SASLPasswordFile = writeFile(t, "empty", "\n")
	if _, err := o.Config(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty password file: %v", err)
	}
}

func TestConfigTLSFiles(t *testing.T) {
	o := Options{Brokers: []string{"h:1"}, TLSCA: writeFile(t, "ca.pem", "not a pem")}
	if _, err := o.Config(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA: %v", err)
	}
	o.TLSCA = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := o.Config(); err == nil || !strings.Contains(err.Error(), "--tls-ca") {
		t.Fatalf("missing CA: %v", err)
	}
	o = Options{Brokers: []string{"h:1"}, TLS: true}
	cfg, err := o.Config()
	if err != nil || !cfg.Net.TLS.Enable {
		t.Fatalf("tls: %v", err)
	}
}

// freeAddr returns a loopback address where nothing listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestProbeUnreachableNamesAddressWithinTimeout(t *testing.T) {
	addr := freeAddr(t)
	o := Options{Brokers: []string{addr}, ConnectTimeout: 1500 * time.Millisecond}
	start := time.Now()
	_, err := o.Connect(context.Background(), nil)
	took := time.Since(start)
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want *ConnectError", err)
	}
	want := "cannot reach Kafka at " + addr + " after 1.5s"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q, want it to contain %q and the cause", err, want)
	}
	if took < time.Second || took > 4*time.Second {
		t.Errorf("took %s, want about 1.5s", took)
	}
}

func TestProbeHonoursContext(t *testing.T) {
	o := Options{Brokers: []string{freeAddr(t)}, ConnectTimeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	err = o.Probe(ctx, cfg)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
}

func TestConnectKfake(t *testing.T) {
	_, b := connecttest.Fake(t, kfake.SeedTopics(2, "t1"))
	o := Options{Brokers: strings.Split(b.Brokers, ","), ClientID: "connect-test"}
	c, err := o.Connect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	parts, err := c.Partitions("t1")
	if err != nil || len(parts) != 2 {
		t.Fatalf("partitions %v, %v", parts, err)
	}
}

func TestSASLKfake(t *testing.T) {
	for _, mech := range []string{"plain", "scram-sha-256", "scram-sha-512"} {
		t.Run(mech, func(t *testing.T) {
			_, b := connecttest.Fake(t, kfake.EnableSASL(), kfake.Superuser(strings.ToUpper(mech), "alice", "right"))
			o := Options{Brokers: []string{b.Brokers}, SASLMechanism: mech, SASLUser: "alice", SASLPassword: "right", ConnectTimeout: 5 * time.Second}
			c, err := o.Connect(context.Background(), nil)
			if err != nil {
				t.Fatalf("right password: %v", err)
			}
			c.Close()

			o.SASLPassword = "wrong-password"
			start := time.Now()
			_, err = o.Connect(context.Background(), nil)
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("wrong password: got %v, want *AuthError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, strings.ToUpper(mech)) || !strings.Contains(msg, b.Brokers) || strings.Contains(msg, "wrong-password") {
				t.Errorf("error %q should name the mechanism and address, not the password", msg)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("wrong password took %s; it should not be retried", took)
			}
		})
	}
}

// selfSignedTLS returns a server TLS config for 127.0.0.1 and its CA PEM.
func selfSignedTLS(t *testing.T) (*tls.Config, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "irisctl test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, certPEM
}

func TestTLSKfake(t *testing.T) {
	srv, caPEM := selfSignedTLS(t)
	_, b := connecttest.Fake(t, kfake.TLS(srv))
	ca := writeFile(t, "ca.pem", string(caPEM))

	o := Options{Brokers: []string{b.Brokers}, TLSCA: ca, ConnectTimeout: 5 * time.Second}
	c, err := o.Connect(context.Background(), nil)
	if err != nil {
		t.Fatalf("with CA: %v", err)
	}
	c.Close()

	// Untrusted certificate: a TLS error at once, not a retry loop.
	o = Options{Brokers: []string{b.Brokers}, TLS: true, ConnectTimeout: 5 * time.Second}
	start := time.Now()
	_, err = o.Connect(context.Background(), nil)
	var te *TLSError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), b.Brokers) {
		t.Fatalf("untrusted cert: got %v, want *TLSError naming %s", err, b.Brokers)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("untrusted cert took %s", took)
	}

	// Plaintext to a TLS listener: bounded, with a hint to add --tls.
	o = Options{Brokers: []string{b.Brokers}, ConnectTimeout: time.Second}
	_, err = o.Connect(context.Background(), nil)
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("plaintext to TLS: got %v, want *ConnectError", err)
	}
	t.Logf("plaintext to TLS listener: %v", err)
}

// Real broker tests: eval "$(scripts/kafka.sh env)" first.

func TestRealPlaintextConnect(t *testing.T) {
	b := connecttest.Real(t)
	o := Options{Brokers: strings.Split(b.Brokers, ",")}
	c, err := o.Connect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Brokers()) == 0 {
		t.Fatal("no brokers in metadata")
	}
}

func TestRealSecureConnect(t *testing.T) {
	b := connecttest.Secure(t)
	o := Options{Brokers: strings.Split(b.Brokers, ","), TLSCA: b.TLSCA, SASLMechanism: b.SASLMechanism, SASLUser: b.SASLUser, SASLPasswordFile: b.SASLPasswordFile}
	c, err := o.Connect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestRealSecureWrongPassword(t *testing.T) {
	b := connecttest.Secure(t)
	o := Options{Brokers: strings.Split(b.Brokers, ","), TLSCA: b.TLSCA, SASLMechanism: b.SASLMechanism, SASLUser: b.SASLUser,
		SASLPasswordFile: writeFile(t, "pw", "definitely-not-the-password\n")}
	start := time.Now()
	_, err := o.Connect(context.Background(), nil)
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "SCRAM-SHA-512") {
		t.Fatalf("got %v, want an AuthError naming SCRAM-SHA-512", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	t.Logf("wrong password after %s: %v", time.Since(start).Round(time.Millisecond), err)
}
