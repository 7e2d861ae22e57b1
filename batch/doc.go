// Package batch is the batch layer: it archives every message to the master dataset,
// recomputes holdings from the full history into snapshots, and runs the cycle that
// publishes them.
//
//   - The master dataset is immutable Parquet segments under master/<topic>/p<partition>/,
//     each named by the first and last offset it covers, every row carrying its partition
//     and offset. The Archiver appends to it and resumes from what it holds; the trades
//     archiver is fed what the speed layer fetched and decoded, so each trade is read
//     and decoded once.
//   - Compute folds every archived trade below a cut into a ledger.Snapshot.
//   - The Store persists snapshots under snapshots/<epoch>/ and names the published one in
//     snapshots/CURRENT; publishing is a rename, so readers never see half a snapshot.
//   - The Coordinator runs cut → compute → verify → publish → swap → retire.
package batch
