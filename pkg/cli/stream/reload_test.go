package stream

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/irisctl/irisctl/bundles"
	st "github.com/irisctl/irisctl/pkg/stream/streamtest"
)

// TestBundleReload runs the command on kfake with --bundle pointing at a
// file: a broken replacement is refused (counted, old model kept), a good
// one is loaded, and SIGHUP reloads too.
func TestBundleReload(t *testing.T) {
	_, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 1, nil, in, out, dlq)
	path := filepath.Join(t.TempDir(), "model.zip")
	if err := os.WriteFile(path, bundles.DefaultZip, 0o644); err != nil {
		t.Fatal(err)
	}
	stop, logs := runCommand(t, streamArgs(brokers, in, out, dlq, group,
		"--bundle", path, "--watch-interval", "100ms", "--metrics-addr", "127.0.0.1:0")...)
	addr := waitLog(t, logs, "serving metrics", "addr")
	metric := func(name string) string {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, name+" ") {
				return strings.TrimPrefix(l, name+" ")
			}
		}
		return ""
	}
	waitFor := func(name, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for metric(name) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s = %q, want %q\n%s", name, metric(name), want, logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	failed, ok := `irisctl_stream_model_reloads_total{result="failed"}`, `irisctl_stream_model_reloads_total{result="ok"}`
	waitFor(ok, "0")
	if err := os.WriteFile(path, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(failed, "1")
	if err := os.WriteFile(path, bundles.DefaultZip, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(ok, "1")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(ok, "2")
	// a bundle that reads other columns is refused: the topic's records
	// would no longer fit it
	if err := os.WriteFile(path, zipDir(t, filepath.Join("..", "..", "..", "bundles", "diabetes")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(failed, "2")
	if !strings.Contains(logs(), "restart the stream to change the input schema") {
		t.Errorf("no log of the schema refusal:\n%s", logs())
	}
	// the stream kept running: it scores records after all that
	st.Produce(t, brokers, in, []st.Input{{Value: []byte(st.Seeds[0][0])}})
	outs := st.ReadCommitted(t, brokers, out, 1, 15*time.Second)
	if len(outs) != 1 || outs[0].Value != st.Seeds[0][0]+","+st.Seeds[0][1] {
		t.Fatalf("outputs after reloads: %+v", outs)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs(), "model reload failed; keeping the current model") {
		t.Errorf("no log of the failed reload:\n%s", logs())
	}
}

// waitLog waits for a JSON log line with msg and returns its attribute key.
func waitLog(t *testing.T, logs func() string, msg, key string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(logs(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
				if v, ok := m[key].(string); ok {
					return v
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log %q with %s:\n%s", msg, key, logs())
	return ""
}

// zipDir zips a bundle directory into memory.
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
