package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// chQuery runs a query over ClickHouse's HTTP interface (which every
// version answers, 18.16 included) and returns its TabSeparated rows.
func (r *runner) chQuery(ctx context.Context, q string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if strings.HasPrefix(q, "SELECT") {
		q += " FORMAT TabSeparated"
	}
	// POST: a GET is read-only to ClickHouse.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.o.clickhouseHTTP+"/", strings.NewReader(q))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return nil, fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var rows [][]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows, sc.Err()
}

// checkClickHouse compares the ids in ClickHouse, read the way the analyst
// queries read them (events with FINAL, one row per event_id; commands by
// distinct command_id), with the ids on the topics. Every id missing or
// extra, and every event id FINAL still returns twice, is a mismatch.
func (r *runner) checkClickHouse(ctx context.Context, res *results, eventIDs, commandIDs map[string]bool) {
	res.chChecked = true
	compare := func(what, q string, want map[string]bool) {
		rows, err := r.chQuery(ctx, q)
		if err != nil {
			res.chMismatch++
			res.chNotes = append(res.chNotes, fmt.Sprintf("%s: query failed: %v", what, err))
			return
		}
		got := map[string]int{}
		for _, row := range rows {
			n := 1
			if len(row) > 1 {
				n, _ = strconv.Atoi(row[1])
			}
			got[row[0]] += n
		}
		var missing, extra, twice []string
		for id := range want {
			if got[id] == 0 {
				missing = append(missing, id)
			}
		}
		for id, n := range got {
			if !want[id] {
				extra = append(extra, id)
			}
			if n > 1 {
				twice = append(twice, id)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		sort.Strings(twice)
		res.chMismatch += len(missing) + len(extra) + len(twice)
		res.chNotes = append(res.chNotes, fmt.Sprintf("%s: topic %d distinct ids, ClickHouse %d; missing %d %v, extra %d %v, more than one row after dedup %d %v",
			what, len(want), len(got), len(missing), first(missing, 3), len(extra), first(extra, 3), len(twice), first(twice, 3)))
	}
	if r.notDrained {
		res.chNotes = append(res.chNotes, "the pipeline was not drained: the sink may simply be behind the topics")
	}
	db := r.chDB
	compare("shipment_events", "SELECT event_id, count() FROM "+db+".shipment_events FINAL GROUP BY event_id", eventIDs)
	compare("notifications", "SELECT DISTINCT command_id FROM "+db+".notifications", commandIDs)
}

func first(list []string, n int) []string {
	if len(list) > n {
		return list[:n]
	}
	return list
}
