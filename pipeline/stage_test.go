package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/pipeline"
)

// keeper is a processor that only tracks which partitions it was told it
// owns.
type keeper struct {
	mu    sync.Mutex
	owned map[int32]bool
}

func (k *keeper) Process(*kgo.Record, *pipeline.Output) {}

func (k *keeper) Assigned(_ context.Context, _ string, ps []int32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range ps {
		k.owned[p] = true
	}
	return nil
}

func (k *keeper) Revoked(_ string, ps []int32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range ps {
		delete(k.owned, p)
	}
}

func (k *keeper) partitions() []int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Sorted(maps.Keys(k.owned))
}

// An idle instance is told of every partition it loses, not only the
// first: franz-go's transact session skips the revoke callback while an
// earlier revocation waits for the next transaction's end, and an instance
// with no records has no transaction to end. Three instances join one
// after the other with nothing to read; between them they must hold each
// partition exactly once.
func TestIdleStageSeesEveryRevocation(t *testing.T) {
	const partitions = 6
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "in", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		keepers []*keeper
		wg      sync.WaitGroup
	)
	defer wg.Wait()
	defer cancel()
	start := func(i int) {
		k := &keeper{owned: map[int32]bool{}}
		st, err := pipeline.NewStage(pipeline.StageConfig{
			Name: "test", Brokers: cluster.ListenAddrs(), Group: "g", TransactionalID: fmt.Sprintf("t%d", i),
			Inputs: []string{"in"}, DeadLetterTopic: "dlq", TickInterval: 50 * time.Millisecond,
			ClientOpts: []kgo.Opt{kgo.HeartbeatInterval(100 * time.Millisecond)},
		}, k)
		if err != nil {
			t.Fatal(err)
		}
		keepers = append(keepers, k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	// settled waits until the keepers hold every partition once, each
	// holding at least one.
	settled := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			seen := map[int32]int{}
			ok := true
			var held [][]int32
			for _, k := range keepers {
				ps := k.partitions()
				held = append(held, ps)
				ok = ok && len(ps) > 0
				for _, p := range ps {
					seen[p]++
				}
			}
			for p := int32(0); p < partitions; p++ {
				ok = ok && seen[p] == 1
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("with %d instances, after 30 s they hold %v: each partition must be held once", n, held)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for i := 1; i <= 3; i++ {
		start(i)
		settled(i)
	}
}
