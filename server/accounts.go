package server

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sqle "github.com/dolthub/go-mysql-server"
	gms "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"
)

// accountsEnabled reports whether logins are checked: as soon as a password or a
// read-only account is configured. Without either, any user may log in, as root on a
// fresh install of MySQL may.
func (c Config) accountsEnabled() bool {
	return c.MySQLPassword != "" || c.MySQLReadonlyUser != ""
}

// setUpAccounts creates the admin account and, if configured, the read-only account,
// which may SELECT from autonews and nothing else. Passwords are never logged.
func setUpAccounts(engine *sqle.Engine, cfg Config) error {
	if !cfg.accountsEnabled() {
		return nil
	}
	db := engine.Analyzer.Catalog.MySQLDb
	// Accounts come from the configuration at every start; nothing to persist.
	db.SetPersister(&mysql_db.NoopPersister{})
	ed := db.Editor()
	db.AddSuperUser(ed, cfg.MySQLUser, "%", cfg.MySQLPassword)
	ed.Close()
	if cfg.MySQLReadonlyUser == "" {
		return nil
	}
	ctx := sql.NewContext(context.Background(), sql.WithSession(
		sql.NewBaseSessionWithClientServer("", sql.Client{User: cfg.MySQLUser, Address: "localhost"}, 0)))
	account := fmt.Sprintf("'%s'@'%%'", quote(cfg.MySQLReadonlyUser))
	// mysql_native_password: go-mysql-server offers caching_sha2_password only over TLS,
	// and clients that default to it switch to native when the server asks.
	for _, stmt := range []string{
		fmt.Sprintf("CREATE USER %s IDENTIFIED WITH mysql_native_password BY '%s'", account, quote(cfg.MySQLReadonlyPassword)),
		fmt.Sprintf("GRANT SELECT ON autonews.* TO %s", account),
	} {
		_, iter, _, err := engine.Query(ctx, stmt)
		if err == nil {
			_, err = sql.RowIterToRows(ctx, iter)
		}
		if err != nil {
			return fmt.Errorf("create the read-only account %q: %w", cfg.MySQLReadonlyUser, err)
		}
	}
	return nil
}

// quote escapes a value for a single-quoted SQL string.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s)
}

// everyUserAuth makes mysql_native_password answer for every user name, so that an
// unknown user is refused with MySQL's error 1045, Access denied, like a wrong password,
// instead of a handshake the client cannot parse.
type everyUserAuth struct{ mysql.AuthServer }

func (a everyUserAuth) AuthMethods() []mysql.AuthMethod {
	methods := slices.Clone(a.AuthServer.AuthMethods())
	for i, m := range methods {
		if m.Name() == mysql.MysqlNativePassword {
			methods[i] = everyUser{m}
		}
	}
	return methods
}

type everyUser struct{ mysql.AuthMethod }

func (everyUser) HandleUser(*mysql.Conn, string) bool { return true }

// listenerWithAccounts is the MySQL protocol listener with everyUserAuth.
func listenerWithAccounts(cfg gms.Config, lc mysql.ListenerConfig, sel gms.ServerEventListener) (gms.ProtocolListener, error) {
	lc.AuthServer = everyUserAuth{lc.AuthServer}
	return gms.MySQLProtocolListenerFactory(cfg, lc, sel)
}
