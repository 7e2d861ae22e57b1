package catalog

import (
	"errors"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// The autonews database has no views, triggers, stored procedures of its own or events.
// It still answers for them: with accounts enabled, go-mysql-server wraps every database
// and refuses queries on one that does not implement these interfaces.

var errFixedSchema = errors.New("the autonews database has a fixed set of tables and procedures; create objects in another database")

var (
	_ sql.ViewDatabase            = (*Database)(nil)
	_ sql.TriggerDatabase         = (*Database)(nil)
	_ sql.StoredProcedureDatabase = (*Database)(nil)
	_ sql.EventDatabase           = (*Database)(nil)
)

func (d *Database) CreateView(*sql.Context, string, string, string) error { return errFixedSchema }
func (d *Database) DropView(*sql.Context, string) error                   { return errFixedSchema }
func (d *Database) GetViewDefinition(*sql.Context, string) (sql.ViewDefinition, bool, error) {
	return sql.ViewDefinition{}, false, nil
}
func (d *Database) AllViews(*sql.Context) ([]sql.ViewDefinition, error) { return nil, nil }

func (d *Database) GetTriggers(*sql.Context) ([]sql.TriggerDefinition, error) { return nil, nil }
func (d *Database) CreateTrigger(*sql.Context, sql.TriggerDefinition) error   { return errFixedSchema }
func (d *Database) DropTrigger(*sql.Context, string) error                    { return errFixedSchema }

func (d *Database) GetStoredProcedure(*sql.Context, string) (sql.StoredProcedureDetails, bool, error) {
	return sql.StoredProcedureDetails{}, false, nil
}
func (d *Database) GetStoredProcedures(*sql.Context) ([]sql.StoredProcedureDetails, error) {
	return nil, nil
}
func (d *Database) SaveStoredProcedure(*sql.Context, sql.StoredProcedureDetails) error {
	return errFixedSchema
}
func (d *Database) DropStoredProcedure(*sql.Context, string) error { return errFixedSchema }

func (d *Database) GetEvent(*sql.Context, string) (sql.EventDefinition, bool, error) {
	return sql.EventDefinition{}, false, nil
}
func (d *Database) GetEvents(*sql.Context) ([]sql.EventDefinition, any, error) { return nil, nil, nil }
func (d *Database) SaveEvent(*sql.Context, sql.EventDefinition) (bool, error) {
	return false, errFixedSchema
}
func (d *Database) DropEvent(*sql.Context, string) error { return errFixedSchema }
func (d *Database) UpdateEvent(*sql.Context, string, sql.EventDefinition) (bool, error) {
	return false, errFixedSchema
}
func (d *Database) UpdateLastExecuted(*sql.Context, string, time.Time) error { return nil }
func (d *Database) NeedsToReloadEvents(*sql.Context, any) (bool, error)      { return false, nil }
