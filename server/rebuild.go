package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// checkLogs compares the broker's log ends with what the snapshot and the master dataset
// already hold, for both topics.
func (s *Server) checkLogs(master *batch.Master, snapshotCut ledger.Cut) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, topic := range []string{message.TradesTopic, message.NewsTopic} {
		end, err := logEnd(ctx, s.admin, topic)
		if err != nil {
			return fmt.Errorf("log end offsets of %s: %w", topic, err)
		}
		archived, err := master.Archived(topic)
		if err != nil {
			return err
		}
		cut := ledger.Cut{}
		if topic == message.TradesTopic {
			cut = snapshotCut
		}
		errs = append(errs, checkOffsetsForward(topic, end, cut, archived))
	}
	return errors.Join(errs...)
}

// rebuildFromMaster is what the operator chooses, with --rebuild-from-master, when the
// broker's log went backwards: the master dataset and the snapshots move aside (kept for
// inspection), and every archived trade and news item is produced again into the log,
// where the layers apply it afresh. Trade and news ids make the replay idempotent with
// whatever the new log already holds.
func (s *Server) rebuildFromMaster(master *batch.Master) (*batch.Master, *batch.Store, error) {
	ctx := context.Background()
	var records []*kgo.Record
	for _, topic := range []string{message.TradesTopic, message.NewsTopic} {
		segs, err := master.Segments(topic)
		if err != nil {
			return nil, nil, err
		}
		for _, seg := range segs {
			if topic == message.TradesTopic {
				err = master.ReadTrades(ctx, seg, func(t batch.ArchivedTrade) error {
					records = append(records, &kgo.Record{Topic: topic, Key: message.TradeKey(t.UserID), Value: message.EncodeTrade(t.Trade)})
					return nil
				})
			} else {
				err = master.ReadNews(ctx, seg, func(n batch.ArchivedNews) error {
					records = append(records, &kgo.Record{Topic: topic, Key: []byte(n.ID), Value: message.EncodeNews(n.News)})
					return nil
				})
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	stamp := time.Now().UTC().Format("20060102T150405")
	for _, dir := range []string{"master", "snapshots"} {
		from := filepath.Join(s.cfg.DataDir, dir)
		to := from + ".replaced-" + stamp
		if err := os.Rename(from, to); err != nil {
			return nil, nil, fmt.Errorf("move %s aside: %w", from, err)
		}
		s.log.Warn("moved aside before the rebuild", "from", from, "to", to)
	}
	const batchSize = 10_000
	for i := 0; i < len(records); i += batchSize {
		if err := s.client.ProduceSync(ctx, records[i:min(i+batchSize, len(records))]...).FirstErr(); err != nil {
			return nil, nil, fmt.Errorf("produce the archived messages again: %w", err)
		}
		s.log.Info("rebuilding from the master dataset", "produced", min(i+batchSize, len(records)), "of", len(records))
	}
	newMaster, err := batch.OpenMaster(filepath.Join(s.cfg.DataDir, "master"))
	if err != nil {
		return nil, nil, err
	}
	store, err := batch.OpenStore(filepath.Join(s.cfg.DataDir, "snapshots"))
	if err != nil {
		return nil, nil, err
	}
	return newMaster, store, nil
}

// dataLoss is told when the broker lost records a consumer had already read: its log
// went backwards while the server ran (a broker crash that lost its tail). What was
// applied may no longer be what the log holds, so the server says so, loudly and for good:
// /readyz fails, pipeline_lag shows it, writes and cycles are refused. A restart checks
// the log against the snapshot and the master dataset and goes on from what they hold.
func (s *Server) dataLoss(err error) {
	reason := fmt.Sprintf("the broker lost records under a running consumer (%v); holdings may differ from the log: restart autonews to re-check the log, or restore the broker's log", err)
	if s.lostData.CompareAndSwap(nil, &reason) {
		s.log.Error("data loss in the broker's log", "err", err)
		s.notReady.Store(&reason)
	}
}

// refusalReason is why the server refuses to apply or accept messages, "" if it does not.
func (s *Server) refusalReason() string {
	if s.refusal != "" {
		return s.refusal
	}
	if lost := s.lostData.Load(); lost != nil {
		return *lost
	}
	return ""
}
