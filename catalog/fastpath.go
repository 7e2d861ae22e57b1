package catalog

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"google.golang.org/protobuf/proto"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
)

// One user's holdings and one user's latest relevant news are the product's most common
// queries. Through go-mysql-server each execution pays for parsing, the analyzer and a
// generic row pipeline: a profile put the table's own work at 3% of the time. The fast
// path answers exactly those statement shapes (see parsePointSelect), by text or as
// prepared statements, straight from the serving view. Everything else, and the first
// execution of each shape (whose result columns it records), goes the generic way, so the
// columns and values a client sees are the generic path's own; the SQL tests run with the
// fast path on and off.

// Sessions knows each connection's session, so that the fast path resolves an unqualified
// table name in the connection's current database as the engine would.
type Sessions struct {
	byConn sync.Map // connection id → *connSession
}

// connSession is a connection's session, and a context over it for the column types'
// SQL conversions the fast path makes while answering that connection. The conversions
// read the session's character set, which the first read caches in the session: one
// context shared by all connections was a data race (the race detector caught two first
// reads at once). A connection's queries run one at a time, so its own is never shared.
type connSession struct {
	session sql.Session
	ctx     *sql.Context
}

// Add records the session of a connection; the fast path forgets it when the connection
// closes.
func (s *Sessions) Add(conn uint32, session sql.Session) {
	s.byConn.Store(conn, &connSession{session: session, ctx: sql.NewContext(context.Background(), sql.WithSession(session))})
}

func (s *Sessions) session(conn uint32) (*connSession, bool) {
	v, ok := s.byConn.Load(conn)
	if !ok {
		return nil, false
	}
	return v.(*connSession), true
}

// HandlerOptions configure the wrapper of the MySQL handler.
type HandlerOptions struct {
	// FastPath answers the common point selects without the engine's analyzer.
	FastPath bool
	Sources  Sources
	Sessions *Sessions
	// Observe is told of every query the fast path answers, as the engine's listener is
	// of the others.
	Observe func(success bool, elapsed time.Duration)
}

// WrapHandler returns the wrapper of go-mysql-server's MySQL handler: proper error codes,
// and the fast path when asked for.
func WrapHandler(opts HandlerOptions) func(mysql.Handler) (mysql.Handler, error) {
	return func(h mysql.Handler) (mysql.Handler, error) {
		if opts.FastPath {
			fp := &fastPath{Handler: h, tables: newFastTables(opts.Sources), sessions: opts.Sessions, observe: opts.Observe}
			fp.scratch.New = func() any { return &answerScratch{} }
			h = fp
		}
		return codedHandler{h}, nil
	}
}

// fastPath answers point selects on holdings and hands everything else to the engine.
type fastPath struct {
	mysql.Handler
	tables   map[string]*fastTable
	sessions *Sessions
	observe  func(bool, time.Duration)

	scratch sync.Pool // *answerScratch

	// results and preparations are the columns the engine gave each shape's first result
	// and first preparation.
	results, preparations columnsByShape

	mu sync.RWMutex
	// prepared holds what parsing each prepared statement's text found: a point select, or
	// one with no columns for any other statement.
	prepared map[string]pointSelect
}

// columnsByShape remembers the columns the engine gave each statement shape. Once
// remembered, a shape's columns are shared by every connection and never written.
type columnsByShape struct {
	mu sync.RWMutex
	m  map[string][]*querypb.Field
}

func (c *columnsByShape) get(shape string) ([]*querypb.Field, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fields, ok := c.m[shape]
	return fields, ok
}

func (c *columnsByShape) put(shape string, fields []*querypb.Field) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]*querypb.Field{}
	}
	c.m[shape] = fields
}

func (p *fastPath) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	if ps, ok := p.parse(query, false); ok {
		if conn, ok := p.servingSession(c, ps); ok {
			return p.answerText(ctx, c, conn, query, ps, callback)
		}
	}
	return p.Handler.ComQuery(ctx, c, query, callback)
}

// ComMultiQuery takes the texts of clients that may send several statements at once,
// which vitess hands over here rather than to ComQuery: the mariadb client and PyMySQL
// ask for that by default, and none of their point selects took the fast path. A text
// that is one point select is answered as ComQuery answers it; the engine splits and runs
// anything else.
func (p *fastPath) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (remainder string, err error) {
	if single, ok := singleStatement(query); ok {
		if ps, ok := p.parse(single, false); ok {
			if conn, ok := p.servingSession(c, ps); ok {
				return "", p.answerText(ctx, c, conn, single, ps, callback)
			}
		}
	}
	return p.Handler.ComMultiQuery(ctx, c, query, callback)
}

// singleStatement returns the text without a final semicolon when that is its only one.
// A semicolon inside a literal or a comment makes it look like several: the engine
// answers those.
func singleStatement(query string) (string, bool) {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	return query, !strings.Contains(query, ";")
}

// answerText answers a point select sent as text. The first of its shape goes through
// the engine, which names the result's columns.
func (p *fastPath) answerText(ctx context.Context, c *mysql.Conn, conn *connSession, query string, ps pointSelect, callback mysql.ResultSpoolFn) error {
	if fields, ok := p.results.get(ps.shape); ok {
		return p.answer(conn, ps.user, ps, fields, false, func(r *sqltypes.Result) error { return callback(r, false) })
	}
	return p.Handler.ComQuery(ctx, c, query, p.recordFields(ps.shape, callback))
}

func (p *fastPath) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	if ps, ok := p.preparedPointSelect(prepare.PrepareStmt); ok {
		conn, servable := p.servingSession(c, ps)
		if user, ok := int64BindVar(prepare.BindVars[ps.bindVar]); ok && servable {
			if fields, ok := p.results.get(ps.shape); ok {
				return p.answer(conn, user, ps, fields, true, callback)
			}
			spool := p.recordFields(ps.shape, func(r *sqltypes.Result, _ bool) error { return callback(r) })
			return p.Handler.ComStmtExecute(ctx, c, prepare, func(r *sqltypes.Result) error { return spool(r, false) })
		}
	}
	return p.Handler.ComStmtExecute(ctx, c, prepare, callback)
}

// ComPrepare answers the preparation of a point select with the columns the engine gave
// when it prepared one of the same shape: go-sql-driver, unless told to interpolate
// parameters, prepares the text again for every query with arguments (and closes it
// after), and the engine parsed and bound it each time (0.19 s of the ingest-encoded
// scenario's CPU for its 2,116 point queries). An execution the fast path does not
// answer then finds no statement in the engine's cache, and the engine prepares the text
// at that point, as it does for a client that executes a statement it never prepared.
func (p *fastPath) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	ps, ok := p.preparedPointSelect(query)
	if ok {
		_, ok = p.servingSession(c, ps)
	}
	if !ok {
		return p.Handler.ComPrepare(ctx, c, query, prepare)
	}
	if fields, ok := p.preparations.get(ps.shape); ok {
		return cloneFields(fields), nil
	}
	fields, err := p.Handler.ComPrepare(ctx, c, query, prepare)
	if err == nil {
		p.preparations.put(ps.shape, cloneFields(fields))
	}
	return fields, err
}

// cloneFields copies columns for a prepare response, which vitess writes into as it sends
// it (it rewrites each column's name): the cached columns are shared by all connections,
// and the race detector caught two connections' responses writing the same one.
func cloneFields(fields []*querypb.Field) []*querypb.Field {
	out := make([]*querypb.Field, len(fields))
	for i, f := range fields {
		out[i] = proto.Clone(f).(*querypb.Field)
	}
	return out
}

// preparedPointSelect parses a prepared statement's text once: clients such as
// go-sql-driver prepare the same text again for every query.
func (p *fastPath) preparedPointSelect(query string) (pointSelect, bool) {
	p.mu.RLock()
	ps, seen := p.prepared[query]
	p.mu.RUnlock()
	if seen {
		return ps, ps.columns != nil
	}
	ps, ok := p.parse(query, true)
	if !ok {
		ps = pointSelect{}
	}
	p.mu.Lock()
	if len(p.prepared) >= maxPreparedTexts || p.prepared == nil {
		p.prepared = map[string]pointSelect{} // a bound, not a cache policy: texts are few
	}
	p.prepared[query] = ps
	p.mu.Unlock()
	return ps, ok
}

const maxPreparedTexts = 4096

func (p *fastPath) ConnectionClosed(c *mysql.Conn) {
	p.sessions.byConn.Delete(c.ConnectionID)
	p.Handler.ConnectionClosed(c)
}

// servingSession returns the connection's session if the fast path may answer the
// statement there: its table is AutoNews' for this connection, and the connection takes
// results in the character set the fast path answers in:
// its columns are those the engine gave the shape's first query, from any connection,
// and its texts are sent as stored. A connection that set character_set_results to
// another one (latin1, say) was given utf8mb4 columns, or another's latin1 columns to a
// utf8mb4 one; the engine answers those.
func (p *fastPath) servingSession(c *mysql.Conn, ps pointSelect) (*connSession, bool) {
	conn, ok := p.sessions.session(c.ConnectionID)
	if !ok || !ps.qualified && !strings.EqualFold(conn.session.GetCurrentDatabase(), DatabaseName) {
		return nil, false
	}
	switch conn.session.GetCharacterSetResults() {
	case sql.CharacterSet_Unspecified, sql.CharacterSet_utf8mb4:
		return conn, true
	}
	return nil, false
}

// recordFields passes results on and remembers the columns the engine gave the shape.
func (p *fastPath) recordFields(shape string, callback mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(r *sqltypes.Result, more bool) error {
		if len(r.Fields) > 0 {
			p.results.put(shape, r.Fields)
		}
		return callback(r, more)
	}
}

// answer sends the rows of the user, as the table yields them, in the statement's
// columns.
func (p *fastPath) answer(conn *connSession, user int64, ps pointSelect, fields []*querypb.Field, binary bool, callback func(*sqltypes.Result) error) error {
	start := time.Now()
	ctx := conn.ctx
	scratch := p.scratch.Get().(*answerScratch)
	defer func() { p.scratch.Put(scratch.reset()) }()
	err := ps.table.rows(ctx, conn.session, user, ps.limit, scratch)
	if err != nil {
		p.done(false, start)
		return err
	}
	rows := scratch.rows
	result := &sqltypes.Result{Fields: fields, Rows: scratch.resultRowsFor(len(rows))}
	values := scratch.wireValues(len(rows) * len(ps.columns))
	text := scratch.textFor(len(values))
	for r := range rows {
		row := &rows[r]
		var item *[len(itemColumns)]sqltypes.Value
		if row.item != nil {
			if item, err = ps.table.itemValues(ctx, row.item, binary); err != nil {
				p.done(false, start)
				return err
			}
		}
		out := values[r*len(ps.columns) : (r+1)*len(ps.columns) : (r+1)*len(ps.columns)]
		for i, col := range ps.columns {
			switch cell := &ps.table.cells[col]; cell.kind {
			case itemCell:
				out[i] = item[cell.item]
			case integerCell:
				from := len(text)
				text = strconv.AppendInt(text, cell.integer(row), 10)
				out[i] = sqltypes.MakeTrusted(sqltypes.Int64, text[from:len(text):len(text)])
			case doubleCell:
				from := len(text)
				text = strconv.AppendFloat(text, cell.double(row), 'g', -1, 64)
				out[i] = sqltypes.MakeTrusted(sqltypes.Float64, text[from:len(text):len(text)])
			case textCell:
				if out[i], err = scratch.textValue(ctx, ps.table, col, cell.text(row)); err != nil {
					p.done(false, start)
					return err
				}
			}
		}
		result.Rows[r] = out
	}
	scratch.text = text
	err = callback(result)
	p.done(err == nil, start)
	return err
}

// answerScratch holds what one fast-path answer builds and drops: a profile of the
// server's allocations (autonews serve --memprofile) had it as most of what the query
// scenario allocated, and the collections that causes lengthen the latency tail. The
// callback writes a result out before it returns, so all of it is reused after.
type answerScratch struct {
	positions  []ledger.Holding
	valued     []ledger.Valued
	weights    []news.Holding
	relevant   news.RelevantIter
	rows       []fastRow
	resultRows [][]sqltypes.Value
	wire       []sqltypes.Value // backing of resultRows
	text       []byte           // backing of the wire values of numbers
	texts      []answerText     // see textValue
}

// answerText is a text value one answer used.
type answerText struct {
	col   int
	text  string
	value sqltypes.Value
}

// textValue is fastTable.textValue remembered for the answer: a user's rows repeat a few
// symbols, which a scan of the few already used finds sooner than the table's shared
// map hashes them.
func (s *answerScratch) textValue(ctx *sql.Context, t *fastTable, col int, text string) (sqltypes.Value, error) {
	for i := range s.texts {
		if e := &s.texts[i]; e.col == col && e.text == text {
			return e.value, nil
		}
	}
	v, err := t.textValue(ctx, col, text)
	if err == nil && len(s.texts) < maxAnswerTexts {
		s.texts = append(s.texts, answerText{col, text, v})
	}
	return v, err
}

const maxAnswerTexts = 8

// portfolio is the user's positions in view, priced and weighted, in the scratch's memory.
func (s *answerScratch) portfolio(view ledger.View, user int64) []ledger.Valued {
	s.positions = view.AppendUser(s.positions[:0], user)
	s.valued = ledger.AppendValued(s.valued[:0], s.positions, view.Price)
	return s.valued
}

func (s *answerScratch) resultRowsFor(n int) [][]sqltypes.Value {
	s.resultRows = slices.Grow(s.resultRows[:0], n)[:n]
	return s.resultRows
}

func (s *answerScratch) wireValues(n int) []sqltypes.Value {
	s.wire = slices.Grow(s.wire[:0], n)[:n]
	return s.wire
}

// textFor returns an empty buffer with room for n numbers as text, so that the values
// written into it share one array.
func (s *answerScratch) textFor(n int) []byte {
	s.text = slices.Grow(s.text[:0], n*maxNumberText)
	return s.text
}

// maxNumberText is the longest text of a BIGINT (20 bytes) or a DOUBLE written shortest
// (24 bytes, as in -2.2250738585072014e-308).
const maxNumberText = 24

// reset drops what the answer referenced, so that the pool keeps no rows alive, and
// returns s; buffers grown beyond a large answer's size are let go.
func (s *answerScratch) reset() *answerScratch {
	if cap(s.rows) > maxScratch || cap(s.wire) > maxScratch || cap(s.positions) > maxScratch {
		return &answerScratch{}
	}
	clear(s.positions)
	clear(s.valued)
	clear(s.weights)
	s.relevant.Reset()
	clear(s.rows)
	clear(s.resultRows)
	clear(s.wire)
	clear(s.texts) // one answer's: columns are numbered per table
	s.positions, s.valued, s.weights = s.positions[:0], s.valued[:0], s.weights[:0]
	s.rows, s.resultRows, s.wire, s.text, s.texts = s.rows[:0], s.resultRows[:0], s.wire[:0], s.text[:0], s.texts[:0]
	return s
}

const maxScratch = 1 << 12

func (p *fastPath) done(success bool, start time.Time) {
	if p.observe != nil {
		p.observe(success, time.Since(start))
	}
}
