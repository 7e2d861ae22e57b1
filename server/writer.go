package server

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// WriteTrades produces trades keyed by user and returns once the broker acknowledged them
// and the speed layer applied them: read-your-writes through the log.
func (s *Server) WriteTrades(ctx context.Context, trades []message.Trade) error {
	records := make([]*kgo.Record, len(trades))
	for i, t := range trades {
		records[i] = &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(t.UserID), Value: message.EncodeTrade(t)}
	}
	target, err := s.produce(ctx, records)
	if err != nil {
		return err
	}
	return s.speed.WaitApplied(ctx, target)
}

// WriteNews produces news keyed by id and returns once the news feed stored it.
func (s *Server) WriteNews(ctx context.Context, items []message.News) error {
	records := make([]*kgo.Record, len(items))
	for i, n := range items {
		records[i] = &kgo.Record{Topic: message.NewsTopic, Key: []byte(n.ID), Value: message.EncodeNews(n)}
	}
	target, err := s.produce(ctx, records)
	if err != nil {
		return err
	}
	return s.newsFeed.WaitApplied(ctx, target)
}

// produce sends records and returns, per partition, the offset after the last one.
func (s *Server) produce(ctx context.Context, records []*kgo.Record) (ledger.Cut, error) {
	if reason := s.refusalReason(); reason != "" {
		return nil, errors.New(reason)
	}
	results := s.client.ProduceSync(ctx, records...)
	if err := results.FirstErr(); err != nil {
		return nil, err
	}
	target := ledger.Cut{}
	for _, r := range results {
		target[r.Record.Partition] = max(target[r.Record.Partition], r.Record.Offset+1)
	}
	return target, nil
}
