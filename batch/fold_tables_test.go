package batch

import "testing"

// An aggregate's rows, numbered across its folds, are found where their batches lie:
// at a span's first row, inside it and at its last.
func TestAggregateRowsAreLocatedInTheirBatches(t *testing.T) {
	a := &Aggregate{spans: []batchSpan{
		{firstRow: 0, segment: 0, segmentRow: 5},
		{firstRow: 10, segment: 1, segmentRow: 0},
		{firstRow: 25, segment: 0, segmentRow: 100}, // a later fold reading on in segment 0
	}}
	for row, want := range map[uint32]rowLocation{
		0: {0, 5}, 9: {0, 14}, 10: {1, 0}, 24: {1, 14}, 25: {0, 100}, 1000: {0, 1075},
	} {
		if got := a.locate(row); got != want {
			t.Errorf("row %d: %+v, want %+v", row, got, want)
		}
	}
}
