package topics_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/root"
	"github.com/irisctl/irisctl/pkg/cli/topics"
	"github.com/irisctl/irisctl/pkg/kafka/connect/connecttest"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := root.Run(ctx, ios, args)
	return code, out.String(), errOut.String()
}

func createJSON(t *testing.T, b connecttest.Broker, extra ...string) (int, []topics.Result, string) {
	t.Helper()
	args := append([]string{"topics", "create", "-o", "json"}, b.Args()...)
	code, out, errOut := run(t, append(args, extra...)...)
	var res []topics.Result
	if out != "" {
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("json output %q: %v", out, err)
		}
	}
	return code, res, errOut
}

// checkCreateTwice runs create twice: every topic is created, then exists.
func checkCreateTwice(t *testing.T, b connecttest.Broker, names []string, extra ...string) {
	t.Helper()
	code, res, errOut := createJSON(t, b, append(names, extra...)...)
	if code != 0 || len(res) != len(names) {
		t.Fatalf("first create: exit %d, %+v, stderr %q", code, res, errOut)
	}
	for i, r := range res {
		if r.Topic != names[i] || r.Status != topics.StatusCreated || r.Partitions != 2 || r.ReplicationFactor < 1 {
			t.Errorf("first create: %+v", r)
		}
	}
	// The second run is not an error: the topics exist, with their layout.
	code, out, errOut := run(t, append(append(append([]string{"topics", "create"}, b.Args()...), names...), "--partitions", "5")...)
	if code != 0 {
		t.Fatalf("second create: exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names)+1 || !strings.HasPrefix(lines[0], "TOPIC") {
		t.Fatalf("table:\n%s", out)
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != names[i] || f[1] != "exists" || f[2] != "2" {
			t.Errorf("second create row %q, want %s exists 2 ...", l, names[i])
		}
	}
}

func TestCreateTwiceKfake(t *testing.T) {
	_, b := connecttest.Fake(t)
	names := []string{connecttest.Topic(t, "a"), connecttest.Topic(t, "b")}
	checkCreateTwice(t, b, names, "--partitions", "2", "--replication-factor", "1", "--config", "retention.ms=3600000")
}

func TestCreateDefaultsKfake(t *testing.T) {
	_, b := connecttest.Fake(t)
	code, res, errOut := createJSON(t, b)
	if code != 0 || len(res) != 3 {
		t.Fatalf("exit %d, %+v, %s", code, res, errOut)
	}
	for i, want := range []string{"iris-classifier-input", "iris-classifier-output", "iris-classifier-dlq"} {
		if res[i].Topic != want || res[i].Status != "created" || res[i].Partitions != 3 || res[i].ReplicationFactor != 1 {
			t.Errorf("topic %d: %+v", i, res[i])
		}
	}
}

func TestCreateFailureExits1(t *testing.T) {
	_, b := connecttest.Fake(t)
	// Kafka refuses topics whose names differ only in '.' vs '_'.
	good := connecttest.Topic(t, "ok.x")
	bad := strings.ReplaceAll(good, ".", "_")
	code, res, errOut := createJSON(t, b, good, bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
	}
	if len(res) != 2 || res[0].Status != "created" || res[1].Status != "failed" || res[1].Error == "" {
		t.Errorf("results %+v", res)
	}
	if !strings.Contains(errOut, "1 of 2 topics could not be created") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestCreateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--partitions", "0"},
		{"--replication-factor", "-3"},
		{"--config", "novalue"},
		{"--output", "yaml"},
		{"--sasl-mechanism", "kerberos", "--sasl-user", "u"},
		{"--brokers", "nohostport"},
		{"x", "x"},
	} {
		code, _, errOut := run(t, append([]string{"topics", "create"}, args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errOut)
		}
	}
}

func TestCreateUnreachable(t *testing.T) {
	start := time.Now()
	code, _, errOut := run(t, "topics", "create", "--brokers", "127.0.0.1:1", "--connect-timeout", "1s")
	if code != 1 || !strings.Contains(errOut, "cannot reach Kafka at 127.0.0.1:1 after 1s") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestCreateTwiceRealBroker(t *testing.T) {
	b := connecttest.Real(t)
	names := []string{connecttest.Topic(t, "a"), connecttest.Topic(t, "b")}
	checkCreateTwice(t, b, names, "--partitions", "2", "--replication-factor", "1")
}

func TestCreateTwiceSecureBroker(t *testing.T) {
	b := connecttest.Secure(t)
	names := []string{connecttest.Topic(t, "s")}
	checkCreateTwice(t, b, names, "--partitions", "2")
}
