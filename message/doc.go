// Package message is the contract of the JSON messages AutoNews reads from Kafka: the
// decoded forms of a trade and a news item, and the validation that decides whether a
// message may be applied at all.
//
// Both layers decode with this package, so the batch layer and the speed layer can never
// disagree about what a message means. A message that fails validation is never applied;
// the caller records it as rejected with the *Error's reason.
package message
