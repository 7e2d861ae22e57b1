package speed

import (
	"fmt"
	"sync"

	"github.com/autonews/autonews/logbook"
)

// MaxRejectedPayload is how much of a rejected message is kept.
const MaxRejectedPayload = 4 << 10

// Rejections keeps the messages that were not applied, newest last, bounded, across
// restarts. A message consumed again after a restart is recorded once.
type Rejections struct {
	book *logbook.Book[rejectionKey, Rejection]

	mu     sync.Mutex
	counts map[string]int64 // per topic, since the process started
}

type rejectionKey struct {
	Topic     string
	Partition int32
	Offset    int64
}

func rejectionKeyOf(r Rejection) rejectionKey { return rejectionKey{r.Topic, r.Partition, r.Offset} }

// OpenRejections loads the rejections kept in path (in memory only when path is empty),
// keeping at most retention of them.
func OpenRejections(path string, retention int) (*Rejections, error) {
	r := &Rejections{counts: map[string]int64{}}
	if path == "" {
		r.book = logbook.New(retention, rejectionKeyOf)
		return r, nil
	}
	book, err := logbook.Open(path, retention, rejectionKeyOf)
	if err != nil {
		return nil, fmt.Errorf("rejected messages: %w", err)
	}
	r.book = book
	return r, nil
}

// Add records a rejection, with at most the first MaxRejectedPayload bytes of its payload.
func (r *Rejections) Add(rej Rejection) error {
	r.mu.Lock()
	r.counts[rej.Topic]++
	r.mu.Unlock()
	if r.book.Has(rejectionKeyOf(rej)) {
		return nil
	}
	if len(rej.Payload) > MaxRejectedPayload {
		rej.Payload = rej.Payload[:MaxRejectedPayload]
	}
	return r.book.Put(rej)
}

// Recent returns the kept rejections, oldest first.
func (r *Rejections) Recent() []Rejection { return r.book.Records() }

// Counts returns how many messages of each topic were rejected since the process started.
func (r *Rejections) Counts() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// Close stops appending to the file.
func (r *Rejections) Close() error { return r.book.Close() }
