package catalog

import (
	"context"
	"regexp"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// Error codes vitess has no constant for.
const (
	errOpenAsReadonly    = 1036 // ER_OPEN_AS_READONLY
	errTableAccessDenied = 1142 // ER_TABLEACCESS_DENIED_ERROR
)

// errorCodes gives the MySQL error codes (and SQL states) clients expect to errors that
// go-mysql-server reports as the generic 1105, recognized by their message, with a hint of
// what to do.
var errorCodes = []struct {
	pattern  *regexp.Regexp
	code     int
	sqlState string
	hint     string
}{
	{regexp.MustCompile(`^syntax error`), mysql.ERParseError, mysql.SSClientError, ""},
	{regexp.MustCompile(`^column ".*" could not be found`), mysql.ERBadFieldError, mysql.SSBadFieldError, "; DESCRIBE the table to see its columns"},
	{regexp.MustCompile(`^table not found`), mysql.ERNoSuchTable, mysql.SSUnknownTable, "; SHOW TABLES lists the tables of autonews"},
	{regexp.MustCompile(`^table doesn't support (INSERT|UPDATE|DELETE|REPLACE)`), errOpenAsReadonly, mysql.SSUnknownSQLState,
		"; holdings and the status tables are computed from the log: write trades with INSERT INTO trades, news with INSERT INTO news"},
	{regexp.MustCompile(`^Field '.*' doesn't have a default value`), mysql.ERNoDefaultForField, mysql.SSUnknownSQLState, ""},
	{regexp.MustCompile(`command denied to user`), errTableAccessDenied, mysql.SSClientError, "; this account may only read"},
}

var _ server.HandlerWrapper = WrapHandler(HandlerOptions{})

// codedHandler gives errors their proper codes.
type codedHandler struct{ mysql.Handler }

func recode(err error) error {
	sqlErr, ok := err.(*mysql.SQLError)
	if !ok {
		return err
	}
	msg := sqlErr.Message
	for _, c := range errorCodes {
		if (sqlErr.Num == mysql.ERUnknownError || sqlErr.Num == c.code) && c.pattern.MatchString(msg) {
			return mysql.NewSQLError(c.code, c.sqlState, "%s", msg+c.hint)
		}
	}
	return err
}

func (h codedHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	return recode(h.Handler.ComQuery(ctx, c, query, callback))
}

func (h codedHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, callback)
	return rest, recode(err)
}

func (h codedHandler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	fields, err := h.Handler.ComPrepare(ctx, c, query, prepare)
	return fields, recode(err)
}

func (h codedHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	return recode(h.Handler.ComStmtExecute(ctx, c, prepare, callback))
}
