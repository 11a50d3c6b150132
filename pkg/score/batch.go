package score

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// LineError is a record that could not be scored, with its line number.
type LineError struct {
	Line int64 // 1-based, counting every line of the input (a header too)
	Err  error // a *RecordError, or what else went wrong
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// BatchStats counts what a batch run did.
type BatchStats struct {
	Lines    int64 // records read (header excluded)
	Scored   int64 // records written out
	Invalid  int64 // records skipped as invalid (SkipInvalid)
	Filtered int64 // records the model dropped (a stage with handle_invalid=skip)
}

// Defaults of a Batch.
const (
	DefaultChunkSize = 1 << 20
	// MaxLineSize bounds one input line; a longer one ends the run.
	MaxLineSize = 64 << 20
)

// Batch scores a stream of records chunk by chunk: read a large block of
// lines, score it, write its output with one Write. With Workers > 1,
// blocks are scored on that many goroutines, each with its own Clone of
// Scorer, and written in input order, so the output is the same as with
// one worker. Nothing is allocated per record.
type Batch struct {
	// Scorer is the configured scorer (SetHeader already called for a CSV
	// header). With Workers < 2 it scores itself; otherwise it is cloned.
	Scorer *Scorer
	Input  InputFormat
	Output OutputFormat
	// Header is the CSV input's header line (nil when it has none); the
	// output header (Scorer.OutputHeader) is written before the records.
	Header []byte
	// Workers is the number of scoring goroutines; < 2 scores on the
	// caller's goroutine.
	Workers int
	// ChunkSize is the size of a read block (DefaultChunkSize if 0).
	ChunkSize int
	// FirstLine is the line number of the reader's first line (1 if 0).
	FirstLine int64
	// SkipInvalid goes on past records that cannot be scored, reporting
	// each to Invalid; otherwise the first one ends the run with a
	// *LineError, after the output of every record before it is written.
	SkipInvalid bool
	Invalid     func(*LineError)
	// Progress, if set, is called after each block is written with the
	// input bytes and lines consumed so far.
	Progress func(bytes, lines int64)
}

// chunk is one block of input lines and the output scored from it.
type chunk struct {
	seq   int
	first int64  // line number of the first line
	buf   []byte // read buffer
	data  []byte // the whole lines in buf
	out   []byte

	lines, scored, filtered int64
	errs                    []*LineError
	stop                    bool // scoring stopped at the last of errs
}

// Run reads records from r until EOF and writes scored records to w.
func (b *Batch) Run(ctx context.Context, r io.Reader, w io.Writer) (BatchStats, error) {
	var st BatchStats
	if h := b.Scorer.OutputHeader(b.Input, b.Output, b.Header); h != nil {
		if _, err := w.Write(h); err != nil {
			return st, err
		}
	}
	size := b.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	first := b.FirstLine
	if first <= 0 {
		first = 1
	}
	cr := &chunkReader{r: r, size: size, line: first}
	if b.Workers < 2 {
		return b.runSerial(ctx, cr, w)
	}
	return b.runParallel(ctx, cr, w)
}

// done accounts for a scored chunk and writes it; it returns the error
// that ends the run, if any.
func (b *Batch) done(c *chunk, w io.Writer, st *BatchStats, bytesDone *int64) error {
	if len(c.out) > 0 {
		if _, err := w.Write(c.out); err != nil {
			return err
		}
	}
	st.Lines += c.lines
	st.Scored += c.scored
	st.Filtered += c.filtered
	*bytesDone += int64(len(c.data))
	if c.stop {
		st.Invalid += int64(len(c.errs) - 1)
		for _, e := range c.errs[:len(c.errs)-1] {
			if b.Invalid != nil {
				b.Invalid(e)
			}
		}
		return c.errs[len(c.errs)-1]
	}
	st.Invalid += int64(len(c.errs))
	if b.Invalid != nil {
		for _, e := range c.errs {
			b.Invalid(e)
		}
	}
	if b.Progress != nil {
		b.Progress(*bytesDone, st.Lines)
	}
	return nil
}

func (b *Batch) runSerial(ctx context.Context, cr *chunkReader, w io.Writer) (BatchStats, error) {
	var st BatchStats
	var bytesDone int64
	c := &chunk{}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ok, err := cr.next(c)
		if !ok {
			return st, err
		}
		b.score(b.Scorer, c)
		if err := b.done(c, w, &st, &bytesDone); err != nil {
			return st, err
		}
	}
}

func (b *Batch) runParallel(ctx context.Context, cr *chunkReader, w io.Writer) (BatchStats, error) {
	n := b.Workers
	nbuf := 2*n + 2
	stop := make(chan struct{})
	free := make(chan *chunk, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- &chunk{}
	}
	jobs := make(chan *chunk, nbuf)
	results := make(chan *chunk, nbuf)
	var readErr error

	go func() {
		defer close(jobs)
		for {
			var c *chunk
			select {
			case c = <-free:
			case <-stop:
				return
			}
			ok, err := cr.next(c)
			if !ok {
				readErr = err // read before jobs is closed
				return
			}
			select {
			case jobs <- c:
			case <-stop:
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		s := b.Scorer.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var c *chunk
				var ok bool
				select {
				case c, ok = <-jobs:
					if !ok {
						return
					}
				case <-stop:
					return
				}
				b.score(s, c)
				select {
				case results <- c:
				case <-stop:
					return
				}
			}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone); close(results) }()

	var st BatchStats
	var bytesDone int64
	pending := map[int]*chunk{}
	next := 0
	finish := func(err error) (BatchStats, error) {
		close(stop)
		<-allDone
		return st, err
	}
	for {
		select {
		case <-ctx.Done():
			return finish(ctx.Err())
		case c, ok := <-results:
			if !ok {
				// Every chunk read has been scored and written.
				return st, readErr
			}
			pending[c.seq] = c
			for c := pending[next]; c != nil; c = pending[next] {
				delete(pending, next)
				next++
				if err := b.done(c, w, &st, &bytesDone); err != nil {
					return finish(err)
				}
				free <- c
			}
		}
	}
}

// score scores the lines of c with s.
func (b *Batch) score(s *Scorer, c *chunk) {
	data, line := c.data, c.first
	if want := len(data) + len(data)/2 + 4096; cap(c.out) < want {
		c.out = make([]byte, 0, want) // the seed format adds a label to each line
	}
	out := c.out[:0]
	c.lines, c.scored, c.filtered, c.errs, c.stop = 0, 0, 0, c.errs[:0], false
	for len(data) > 0 {
		var rec []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			rec, data = data[:i], data[i+1:]
		} else {
			rec, data = data, nil
		}
		var err error
		if b.Input == InputJSONL {
			err = s.ScoreJSON(rec)
		} else {
			err = s.ScoreLine(rec)
		}
		c.lines++
		switch {
		case err == nil:
			switch b.Output {
			case OutputJSON:
				out = s.AppendJSON(out, rec)
			case OutputCells:
				out = s.AppendCells(out, rec)
			default:
				out = s.AppendCSV(out, rec)
			}
			out = append(out, '\n')
			c.scored++
		case errors.Is(err, ErrSkipped):
			c.filtered++
		default:
			c.errs = append(c.errs, &LineError{Line: line, Err: err})
			if !b.SkipInvalid {
				c.stop = true
				c.out = out
				return
			}
		}
		line++
	}
	c.out = out
}

// chunkReader cuts its reader into blocks of whole lines.
type chunkReader struct {
	r     io.Reader
	size  int
	carry []byte // the start of a line that did not fit the last block
	line  int64  // number of the next line
	seq   int
	eof   bool
	err   error // the read error that ended the input
}

// next fills c with the next block of whole lines. It returns false at
// the end of the input, with the read error if there was one.
func (cr *chunkReader) next(c *chunk) (bool, error) {
	if cr.eof && len(cr.carry) == 0 {
		return false, cr.err
	}
	want := cr.size
	if len(cr.carry) >= want/2 {
		want = 2 * len(cr.carry)
	}
	if cap(c.buf) < want {
		c.buf = make([]byte, 0, want)
	}
	buf := append(c.buf[:0], cr.carry...)
	cr.carry = cr.carry[:0]
	scanned := 0 // bytes of buf known to hold no newline
	for !cr.eof {
		if len(buf) == cap(buf) {
			if len(buf) >= MaxLineSize {
				return false, &LineError{Line: cr.line, Err: fmt.Errorf("line longer than %d bytes", MaxLineSize)}
			}
			buf = append(buf, 0)[:len(buf)] // grow
		}
		n, err := cr.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			cr.eof = true
			if err != io.EOF {
				cr.err = err
			}
			break
		}
		if bytes.IndexByte(buf[scanned:], '\n') >= 0 {
			break
		}
		scanned = len(buf)
	}
	c.buf = buf
	end := len(buf)
	switch {
	case cr.err != nil:
		end = bytes.LastIndexByte(buf, '\n') + 1 // a line cut by the error is not scored
	case !cr.eof:
		end = bytes.LastIndexByte(buf, '\n') + 1
		cr.carry = append(cr.carry, buf[end:]...)
	}
	c.data = buf[:end]
	if len(c.data) == 0 {
		return false, cr.err
	}
	c.seq, c.first = cr.seq, cr.line
	cr.seq++
	cr.line += int64(bytes.Count(c.data, []byte{'\n'}))
	if c.data[len(c.data)-1] != '\n' {
		cr.line++
	}
	return true, nil
}
