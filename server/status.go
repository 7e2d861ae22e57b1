package server

import (
	"context"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/catalog"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/speed"
)

// Lag lists, for every partition of both topics, how far each part of the pipeline has
// come: the log end, what the speed layer applied, what is archived and the snapshot cut.
// The lag in milliseconds is the age of the last record applied while records wait.
func (s *Server) Lag(ctx context.Context) ([]catalog.LagRow, error) {
	snap := s.speed.Holdings(0, 0).Snapshot
	var rows []catalog.LagRow
	for _, t := range []struct {
		topic    string
		applied  ledger.Cut
		stamps   map[int32]time.Time
		archived ledger.Cut
		cut      ledger.Cut
	}{
		{message.TradesTopic, s.speed.Applied(), s.speed.LastApplied(), s.archiver.Archived(), snap.Cut},
		{message.NewsTopic, s.newsFeed.Applied(), s.newsFeed.LastApplied(), s.newsArchiver.Archived(), nil},
	} {
		end, err := logEnd(ctx, s.admin, t.topic)
		if err != nil {
			return nil, err
		}
		for _, p := range end.Partitions() {
			row := catalog.LagRow{Topic: t.topic, Partition: p, LogEnd: end[p], Applied: t.applied[p], Archived: t.archived[p],
				LagMessages: max(0, end[p]-t.applied[p]), Epoch: snap.Epoch, Status: "ok"}
			if reason := s.refusalReason(); reason != "" {
				row.Status = "refused: " + reason
			}
			if t.cut != nil {
				cut := t.cut[p]
				row.SnapshotCut = &cut
			}
			if stamp, ok := t.stamps[p]; ok && row.LagMessages > 0 {
				row.LagMillis = max(0, time.Since(stamp).Milliseconds())
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Rejected lists the kept rejected messages.
func (s *Server) Rejected() []speed.Rejection { return s.rejections.Recent() }

// Verify recomputes holdings from the master dataset and lists every difference.
func (s *Server) Verify(ctx context.Context) ([]batch.Difference, error) {
	diffs, _, err := s.coordinator.Verify(ctx, s.speed)
	return diffs, err
}

// reject records a rejected message; losing it from the file is logged, not fatal.
func (s *Server) reject(r speed.Rejection) {
	if err := s.rejections.Add(r); err != nil {
		s.log.Warn("record rejected message", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
	}
}
