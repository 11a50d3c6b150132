package bundle

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Limits that keep a hostile or broken bundle from exhausting memory.
const (
	// MaxFileSize is the largest single file read from a bundle.
	MaxFileSize = 512 << 20
	// MaxZipTotal is the most a zip bundle may expand to.
	MaxZipTotal = 2 << 30
	// MaxZipEntries is the most entries a zip bundle may have.
	MaxZipEntries = 1 << 20
)

// files is the read-only view of a bundle's tree, rooted at the folder that
// holds bundle.json. Paths are slash-separated and relative.
type files interface {
	read(name string) ([]byte, error)
	isDir(name string) bool
	// list returns the names of the direct children of dir.
	list(dir string) []string
	// describe says where a path lives, for error messages.
	describe(name string) string
}

// dirFiles is a bundle stored as a directory.
type dirFiles struct{ root string }

func (d dirFiles) full(name string) string { return filepath.Join(d.root, filepath.FromSlash(name)) }

func (d dirFiles) read(name string) ([]byte, error) {
	f, err := os.Open(d.full(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", d.full(name))
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", d.full(name), st.Size(), MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

func (d dirFiles) isDir(name string) bool {
	st, err := os.Stat(d.full(name))
	return err == nil && st.IsDir()
}

func (d dirFiles) list(dir string) []string {
	ents, err := os.ReadDir(d.full(dir))
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func (d dirFiles) describe(name string) string { return d.full(name) }

// zipFiles is a bundle stored as a zip: a flat map from normalized path to
// entry. Directory entries are not relied on (Python-written zips have none).
type zipFiles struct {
	zipPath string
	prefix  string // a single top-level folder holding bundle.json, if any
	entries map[string]*zip.File
	dirs    map[string]bool
	data    map[string][]byte // entries already read, when materialized
}

func openZip(name string, r io.ReaderAt, size int64) (*zipFiles, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip: %w", name, err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("%s: %d zip entries, over the limit of %d", name, len(zr.File), MaxZipEntries)
	}
	z := &zipFiles{zipPath: name, entries: map[string]*zip.File{}, dirs: map[string]bool{"": true}}
	var total uint64
	for _, f := range zr.File {
		clean, err := cleanEntryName(f.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if clean == "" {
			continue
		}
		if strings.HasSuffix(f.Name, "/") || f.FileInfo().IsDir() {
			z.addDirs(clean)
			continue
		}
		if f.UncompressedSize64 > MaxFileSize {
			return nil, fmt.Errorf("%s: entry %s expands to %d bytes, over the %d-byte limit", name, f.Name, f.UncompressedSize64, MaxFileSize)
		}
		total += f.UncompressedSize64
		if total > MaxZipTotal {
			return nil, fmt.Errorf("%s: expands to more than %d bytes", name, uint64(MaxZipTotal))
		}
		z.entries[clean] = f
		z.addDirs(path.Dir(clean))
	}
	if _, ok := z.entries["bundle.json"]; !ok {
		// Tolerate a zip of the bundle's folder itself: one top-level folder.
		var tops []string
		for d := range z.dirs {
			if d != "" && !strings.Contains(d, "/") {
				tops = append(tops, d)
			}
		}
		if len(tops) == 1 {
			if _, ok := z.entries[tops[0]+"/bundle.json"]; ok {
				z.prefix = tops[0] + "/"
			}
		}
	}
	return z, nil
}

// cleanEntryName normalizes a zip entry name and refuses names that would
// escape the bundle root.
func cleanEntryName(n string) (string, error) {
	n = strings.ReplaceAll(n, "\\", "/")
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("zip entry %q escapes the bundle root", n)
		}
	}
	n = strings.TrimLeft(n, "/")
	c := path.Clean("/" + n)[1:]
	return c, nil
}

func (z *zipFiles) addDirs(d string) {
	for d != "." && d != "" && !z.dirs[d] {
		z.dirs[d] = true
		d = path.Dir(d)
	}
}

func (z *zipFiles) read(name string) ([]byte, error) {
	if b, ok := z.data[z.prefix+name]; ok {
		return b, nil
	}
	f, ok := z.entries[z.prefix+name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: z.describe(name), Err: fs.ErrNotExist}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", z.describe(name), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", z.describe(name), err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: over the %d-byte limit", z.describe(name), MaxFileSize)
	}
	return b, nil
}

func (z *zipFiles) isDir(name string) bool { return z.dirs[strings.TrimSuffix(z.prefix+name, "/")] }

func (z *zipFiles) list(dir string) []string {
	base := strings.TrimSuffix(z.prefix+dir, "/")
	seen := map[string]bool{}
	add := func(p string) {
		if path.Dir(p) == base || (base == "" && !strings.Contains(p, "/")) {
			seen[path.Base(p)] = true
		}
	}
	for p := range z.entries {
		add(p)
	}
	for p := range z.dirs {
		if p != "" {
			add(p)
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (z *zipFiles) describe(name string) string { return z.zipPath + "!/" + z.prefix + name }

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// zipFromBytes opens an in-memory zip (for bundles embedded in the binary).
func zipFromBytes(name string, b []byte) (*zipFiles, error) {
	return openZip(name, bytes.NewReader(b), int64(len(b)))
}

// materialize reads every entry into memory so the underlying file can close.
func (z *zipFiles) materialize() error {
	for name, f := range z.entries {
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s!/%s: %w", z.zipPath, name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s!/%s: %w", z.zipPath, name, err)
		}
		if len(b) > MaxFileSize {
			return fmt.Errorf("%s!/%s: over the %d-byte limit", z.zipPath, name, MaxFileSize)
		}
		if z.data == nil {
			z.data = map[string][]byte{}
		}
		z.data[name] = b
	}
	return nil
}
