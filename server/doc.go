// Package server wires the AutoNews process: it locks the data directory, starts the
// embedded Kafka-protocol broker (or connects to a cluster), loads the published snapshot,
// starts the archiver, the speed layer and the cycle coordinator, and serves the catalog
// over the MySQL protocol. It owns every goroutine it starts and stops them in order.
package server
