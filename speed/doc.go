// Package speed is the speed layer: it consumes trades from Kafka as they arrive and
// applies each one, with the same reducer as the batch layer, to delta tables.
//
// The active delta D_k holds every trade at or beyond the cut C_k of the published
// snapshot S_k; reads of holdings return S_k ⊕ D_k. While a batch run computes S_k+1 at
// cut C_k+1, a second delta D_k+1 receives every trade at or beyond C_k+1, so that when
// S_k+1 is published one swap makes reads return S_k+1 ⊕ D_k+1 and D_k is dropped. The
// decision is made per record by offset, so no trade is counted twice or lost across the
// swap however long the batch run takes.
//
// What the layer reads and decodes it also hands, batch by batch, to the trades archiver
// (Config.Tap), which writes the master dataset from it.
package speed
