package main

import (
	"context"
	"sync"
	"time"
)

// startFaults starts the fault schedule of the load phase: a SIGKILL every
// -kill-min to -kill-max until ctx ends, one broker restart and one
// ClickHouse outage. The returned group is done when the outages are over
// (the kills stop with ctx).
func (r *runner) startFaults(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	d := r.o.duration
	// Draw every time up front, so that the schedule depends on the seed
	// alone.
	kafkaAt := r.uniform(d*30/100, d*45/100)
	chAt := r.uniform(d*55/100, d*65/100)
	logf("fault schedule: SIGKILL every %s-%s; Kafka restart at +%s (%v); ClickHouse down at +%s for %s (%v)",
		r.o.killMin, r.o.killMax, kafkaAt.Round(time.Second), r.o.kafkaRestart, chAt.Round(time.Second), r.o.chStopFor, r.o.chStop)

	go func() {
		for {
			wait := r.uniform(r.o.killMin, r.o.killMax)
			if !sleepCtx(ctx, wait) {
				return
			}
			in := r.insts[r.intn(len(r.insts))]
			if in.kill() {
				logf("SIGKILL instance %d (%s); it restarts with the same instance_id", in.idx, in.id)
			} else {
				logf("instance %d is not running (restarting); no SIGKILL this time", in.idx)
			}
		}
	}()

	if r.o.kafkaRestart {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !sleepCtx(ctx, kafkaAt) {
				return
			}
			r.restartKafka()
		}()
	}
	if r.o.chStop {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !sleepCtx(ctx, chAt) {
				return
			}
			r.stopClickHouse()
		}()
	}
	return &wg
}

func (r *runner) restartKafka() {
	start := time.Now()
	logf("restarting the Kafka broker: %s down kafka", r.o.services)
	r.mu.Lock()
	r.kafkaDown = true
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	if err := r.services(ctx, "down", "kafka"); err != nil {
		logf("stopping Kafka: %v", err)
	}
	cancel()
	logf("Kafka stopped after %s; starting it again", time.Since(start).Round(time.Second))
	for attempt := 1; attempt <= 2; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		err := r.services(ctx, "up", "kafka")
		cancel()
		if err == nil {
			r.mu.Lock()
			r.kafkaDown = false
			r.mu.Unlock()
			logf("Kafka is back after %s in all", time.Since(start).Round(time.Second))
			return
		}
		logf("starting Kafka (attempt %d): %v", attempt, err)
	}
}

func (r *runner) stopClickHouse() {
	logf("stopping ClickHouse for %s", r.o.chStopFor)
	r.mu.Lock()
	r.chDown = true
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if err := r.services(ctx, "down", "clickhouse"); err != nil {
		logf("stopping ClickHouse: %v", err)
	}
	cancel()
	time.Sleep(r.o.chStopFor)
	for attempt := 1; attempt <= 2; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		err := r.services(ctx, "up", "clickhouse")
		cancel()
		if err == nil {
			r.mu.Lock()
			r.chDown = false
			r.mu.Unlock()
			logf("ClickHouse is back")
			return
		}
		logf("starting ClickHouse (attempt %d): %v", attempt, err)
	}
}
