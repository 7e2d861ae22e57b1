// Package sql holds the SQL acceptance tests of AutoNews: data-driven scripts under
// testdata/ and end-to-end tests, run against a started server through real clients
// (github.com/go-sql-driver/mysql, the mariadb command-line client, kcat).
package sql
