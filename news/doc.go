// Package news is the domain logic of relevance: the company dictionary, the matcher that
// finds the companies a news item is about (cashtags, the message's symbols, company names
// and their common short forms), the news index by symbol, and the rule that makes a news
// item relevant to a user: it mentions a symbol whose weight in the user's portfolio is at
// least the relevance threshold.
package news
