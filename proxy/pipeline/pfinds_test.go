package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
)

// keeper keeps every input it decides on, and says so or not.
type keeper struct {
	keeps bool
	seen  []*policy.Input
	want  []string // each input's findings as they were when decided
}

func (k *keeper) Decide(_ context.Context, in *policy.Input) (*policy.Decision, error) {
	k.seen, k.want = append(k.seen, in), append(k.want, fmt.Sprint(in.Findings))
	return &policy.Decision{ID: "d", Allow: true}, nil
}

func (k *keeper) KeepsInput() bool { return k.keeps }

// The policy input's findings go into a slice reused from message to
// message only when the decider says it reads no input after deciding: a
// decider that keeps them (policy.Engine with a shadow bundle) finds
// each input as it was, whatever came after.
func TestFindingsPooledOnlyWhenNoInputIsKept(t *testing.T) {
	for _, keeps := range []bool{true, false} {
		k := &keeper{keeps: keeps}
		p := pipe(k)
		for i := range 40 {
			m := message()
			m.Body = []byte(fmt.Sprintf(`{"records":[{"Email":"p%d@example.com","Phone":"+1 415 555 %04d"}]}`, i, i))
			if res := p.Process(context.Background(), m); res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(k.seen[i].Findings) == 0 {
				t.Fatalf("message %d: no findings", i)
			}
		}
		if !keeps {
			continue
		}
		for i, in := range k.seen {
			if got := fmt.Sprint(in.Findings); got != k.want[i] {
				t.Fatalf("input %d kept by the decider changed after it decided:\n%s\nwas\n%s", i, got, k.want[i])
			}
		}
	}
	// An input without findings still has a list, empty, not none: the
	// pooled slice is never nil, new or after a message too large to keep.
	b := scratchPool.New().(*scratchBufs)
	if b.pfinds == nil {
		t.Fatal("a new scratch's findings are nil")
	}
	b.pfinds = make([]policy.Finding, maxPooledLeaves+1)
	var leaves []leaf
	var finds []detectors.Finding
	b.put(&leaves, &finds)
	if b.pfinds == nil || cap(b.pfinds) > maxPooledLeaves {
		t.Fatalf("findings kept after a large message: nil %v, cap %d", b.pfinds == nil, cap(b.pfinds))
	}
}
