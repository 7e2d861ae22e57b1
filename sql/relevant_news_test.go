package sql_test

import (
	"strings"
	"testing"
)

// One user's newest news needs no sort: the table yields it newest first, so LIMIT 20
// reads 20 rows however much news the user's holdings have. The generic plan sorts.
func TestOneUsersNewestNewsIsReadWithoutASort(t *testing.T) {
	const q = "EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id = 1 ORDER BY published_at DESC LIMIT 20"
	for _, generic := range []bool{false, true} {
		h := startHarnessWith(t, generic)
		plan, err := h.query(q)
		if err != nil {
			t.Fatal(err)
		}
		if sorts := strings.Contains(plan, "Sort") || strings.Contains(plan, "TopN"); sorts != generic {
			t.Fatalf("generic plans %v:\n%s", generic, plan)
		}
		// Several users, or another order, keep the sort.
		for _, other := range []string{
			"EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id IN (1, 2) ORDER BY published_at DESC LIMIT 20",
			"EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id = 1 ORDER BY published_at LIMIT 20",
		} {
			if plan, _ := h.query(other); !strings.Contains(plan, "Sort") && !strings.Contains(plan, "TopN") {
				t.Fatalf("%s lost its sort:\n%s", other, plan)
			}
		}
	}
}
