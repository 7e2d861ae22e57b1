package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

func newMatcher(companiesFile string) (*news.Matcher, error) {
	if companiesFile == "" {
		return news.NewMatcher(news.DefaultDictionary()), nil
	}
	dict, err := news.LoadDictionary(companiesFile)
	if err != nil {
		return nil, fmt.Errorf("%w (fix the file or leave --companies out to use the S&P 500 list)", err)
	}
	return news.NewMatcher(dict), nil
}

// loadNews rebuilds the news index from the master dataset, where every archived news
// message is; the news feed then goes on from where the dataset ends.
func loadNews(master *batch.Master, matcher *news.Matcher, log *slog.Logger) (*news.Index, error) {
	start := time.Now()
	index := news.NewIndex(matcher)
	segs, err := master.Segments(message.NewsTopic)
	if err != nil {
		return nil, err
	}
	for _, seg := range segs {
		err := master.ReadNews(context.Background(), seg, func(n batch.ArchivedNews) error {
			index.Add(n.News)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(segs) > 0 {
		log.Info("news loaded from the master dataset", "items", index.Len(), "segments", len(segs), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return index, nil
}
