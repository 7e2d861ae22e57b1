package sql_test

import (
	"os"
	"path/filepath"
	"testing"
)

// serve --brokers talks to a Kafka cluster it does not own, here `autonews broker` in a
// process of its own, and embeds nothing.
func TestServeWithAnExternalBroker(t *testing.T) {
	broker := newProcess(t)
	broker.startBroker()
	p := newProcess(t, "--brokers", broker.kafkaAddr, "--cycle-interval", "0")
	p.start()
	h := &harness{t: t, db: p.db}
	if err := produceTo(broker.kafkaAddr, `{"trade_id":"X1","user_id":3,"symbol":"MMM","side":"BUY","quantity":12,"price":10,"ts":"2026-01-02T15:00:00Z"}`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, h, "SELECT shares FROM holdings WHERE user_id = 3", "12\n")
	if out := h.runCycle(); out != "run 1 epoch 1 succeeded" {
		t.Fatal(out)
	}
	if _, err := os.Stat(filepath.Join(p.dataDir, "kafka")); !os.IsNotExist(err) {
		t.Fatalf("serve --brokers embedded a broker log: %v", err)
	}
	p.stop()
	broker.stop()
}
