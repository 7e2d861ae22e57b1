package catalog

import (
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// DatabaseName is the one database AutoNews serves.
const DatabaseName = "autonews"

// defaultCollation of every text column: binary comparison, like ticker symbols and ids
// need, under a name MySQL and MariaDB clients both know.
const defaultCollation = sql.Collation_utf8mb4_bin

// Provider is the go-mysql-server database provider: the autonews database and the
// stored procedures of procedures.go.
type Provider struct {
	db     *Database
	cycle  Cycle
	status Status
}

var (
	_ sql.DatabaseProvider                = (*Provider)(nil)
	_ sql.ExternalStoredProcedureProvider = (*Provider)(nil)
)

// NewProvider returns a provider serving src.
func NewProvider(src Sources) *Provider {
	registerSystemVariables()
	db := &Database{tables: map[string]sql.Table{}}
	for _, t := range []sql.Table{
		newHoldingsTable(src.Holdings, unionLayers),
		newHoldingsTable(src.Holdings, batchLayer),
		newHoldingsTable(src.Holdings, deltaLayer),
		newPipelineRunsTable(src.Cycle),
		newNewsTable(src.News, src.Writer),
		newTradesTable(src.Writer),
		newPipelineLagTable(src.Status),
		newRejectedMessagesTable(src.Status),
		newRelevantNewsTable(src.Holdings, src.News),
	} {
		db.tables[strings.ToLower(t.Name())] = t
	}
	return &Provider{db: db, cycle: src.Cycle, status: src.Status}
}

// Database implements sql.DatabaseProvider.
func (p *Provider) Database(_ *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, DatabaseName) {
		return p.db, nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

// HasDatabase implements sql.DatabaseProvider.
func (p *Provider) HasDatabase(_ *sql.Context, name string) bool {
	return strings.EqualFold(name, DatabaseName)
}

// AllDatabases implements sql.DatabaseProvider.
func (p *Provider) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{p.db} }

// Database is the autonews database: a fixed set of virtual tables.
type Database struct {
	tables map[string]sql.Table
}

var _ sql.Database = (*Database)(nil)

// Name implements sql.Nameable.
func (d *Database) Name() string { return DatabaseName }

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	t, ok := d.tables[strings.ToLower(name)]
	return t, ok, nil
}

// GetTableNames implements sql.Database.
func (d *Database) GetTableNames(*sql.Context) ([]string, error) {
	names := make([]string, 0, len(d.tables))
	for _, t := range d.tables {
		names = append(names, t.Name())
	}
	slices.Sort(names)
	return names, nil
}
