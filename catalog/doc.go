// Package catalog serves the lambda architecture's state as SQL tables for
// go-mysql-server: the autonews database, its virtual tables and indexes, and its stored
// procedures.
//
// Tables read what the layers publish through the small interfaces in sources.go, never
// their internals: holdings is the union S ⊕ D of the published snapshot and the active
// delta table; holdings_batch and holdings_delta are its two halves.
package catalog
