// Package ledger is the state AutoNews computes from trades, and the one reducer that
// computes it. Both layers apply trades with Book.Apply, so the batch view and the speed
// view cannot drift apart in meaning.
//
// Terms used across the project:
//   - A position is the number of shares a user holds of a symbol: the sum of the signed
//     quantities of their trades. It may be negative (short).
//   - A Cut is one Kafka offset per partition of the trades topic: a snapshot holds every
//     trade at an offset below its cut, a delta every trade at or above the cut it starts at.
//   - A Snapshot is the immutable batch view S_k of epoch k; a Book is mutable state, used
//     by the batch job while it folds the history and by the speed layer's delta tables.
package ledger
