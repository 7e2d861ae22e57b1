package server

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateSaysWhatToChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		says   string
	}{
		{"no data dir", func(c *Config) { c.DataDir = "" }, "--data-dir"},
		{"mysql beyond loopback", func(c *Config) { c.MySQLAddr = "0.0.0.0:3306" }, "not a loopback address"},
		{"kafka beyond loopback", func(c *Config) { c.KafkaAddr = "10.1.2.3:9092" }, "--kafka-addr"},
		{"address without port", func(c *Config) { c.MySQLAddr = "127.0.0.1" }, "not host:port"},
		{"no partitions", func(c *Config) { c.TradesPartitions = 0 }, "--trades-partitions"},
		{"negative interval", func(c *Config) { c.CycleInterval = -time.Second }, "--cycle-interval"},
		{"http beyond loopback", func(c *Config) { c.HTTPAddr = "0.0.0.0:8080" }, "--mysql-password"},
		{"read-only user without password", func(c *Config) { c.MySQLReadonlyUser = "bi" }, "--mysql-readonly-password"},
		{"threshold above one", func(c *Config) { c.RelevanceThreshold = 1.5 }, "--relevance-threshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v does not say %q", err, tc.says)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.MySQLAddr, cfg.MySQLPassword = "0.0.0.0:3306", "s3cret"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("with a password, any address: %v", err)
	}
	cfg = DefaultConfig()
	cfg.Brokers, cfg.KafkaAddr = []string{"kafka-1:9092"}, "bogus"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the embedded broker's address does not matter with --brokers: %v", err)
	}
}

func TestDataDirectoryIsLockedAgainstASecondServer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.KafkaAddr, cfg.MySQLAddr, cfg.HTTPAddr, cfg.CycleInterval = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", 0
	first, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(cfg)
	if err == nil || !strings.Contains(err.Error(), "in use by another autonews process") {
		t.Fatalf("second server on the same data directory: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Start(cfg)
	if err != nil {
		t.Fatalf("the lock was not released on close: %v", err)
	}
	again.Close()
}
