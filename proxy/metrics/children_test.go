package metrics

import (
	"strconv"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// A remembered child is the vector's own: counts through it land in the
// series client_golang would have used, and each label tuple is one series.
func TestChildrenAreTheVectorsOwn(t *testing.T) {
	v := &CounterVec{CounterVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total"}, []string{"a", "b"})}
	for range 3 {
		v.WithLabelValues("email", "regex").Inc()
	}
	v.WithLabelValues("regex", "email").Add(2)
	if got := testutil.ToFloat64(v.CounterVec.WithLabelValues("email", "regex")); got != 3 {
		t.Errorf("email/regex: %v, want 3", got)
	}
	if got := testutil.ToFloat64(v.CounterVec.WithLabelValues("regex", "email")); got != 2 {
		t.Errorf("regex/email: %v, want 2", got)
	}
	if n := testutil.CollectAndCount(v); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
	if v.WithLabelValues("email", "regex") != v.CounterVec.WithLabelValues("email", "regex") {
		t.Error("the remembered child is not the vector's")
	}

	h := &HistogramVec{HistogramVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"route", "direction", "stage"})}
	h.WithLabelValues("sf", "response", "detect").Observe(1)
	h.WithLabelValues("sf", "response", "detect").Observe(2)
	h.WithLabelValues("sf", "request", "detect").Observe(4)
	if n := testutil.CollectAndCount(h); n != 2 {
		t.Errorf("%d histogram series, want 2", n)
	}
	for dir, want := range map[string]uint64{"response": 2, "request": 1} {
		var m dto.Metric
		if err := h.HistogramVec.WithLabelValues("sf", dir, "detect").(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetHistogram().GetSampleCount(); got != want {
			t.Errorf("%s/detect: %d observations, want %d", dir, got, want)
		}
	}
}

// A call with the wrong number of label values still panics as
// client_golang's does, even when a shorter tuple with the same values is
// remembered.
func TestChildrenKeepTheArityCheck(t *testing.T) {
	v := &CounterVec{CounterVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total"}, []string{"a", "b"})}
	v.WithLabelValues("x", "y").Inc()
	for _, lvs := range [][]string{{"x", "y", ""}, {"x"}, {"x", "y", "z", "w"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q: no panic", lvs)
				}
			}()
			v.WithLabelValues(lvs...)
		}()
	}
}

// A remembered lookup allocates nothing; client_golang's allocates the
// variadic slice every time.
func TestChildrenLookupDoesNotAllocate(t *testing.T) {
	v := &HistogramVec{HistogramVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"route", "direction", "stage"})}
	route, dir, stage := "salesforce", "response", "detect"
	v.WithLabelValues(route, dir, stage)
	if n := testing.AllocsPerRun(100, func() { v.WithLabelValues(route, dir, stage) }); n != 0 {
		t.Errorf("%v allocations per remembered lookup, want 0", n)
	}
}

// Past maxChildren label tuples, children are still right, just not
// remembered; concurrent first uses of one tuple give one series.
func TestChildrenBoundedAndConcurrent(t *testing.T) {
	v := &CounterVec{CounterVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total"}, []string{"a"})}
	for i := range maxChildren + 10 {
		v.WithLabelValues(strconv.Itoa(i)).Inc()
	}
	if n := len(*v.kids.m.Load()); n != maxChildren {
		t.Errorf("%d remembered, want %d", n, maxChildren)
	}
	v.WithLabelValues(strconv.Itoa(maxChildren + 5)).Inc()
	if got := testutil.ToFloat64(v.CounterVec.WithLabelValues(strconv.Itoa(maxChildren + 5))); got != 2 {
		t.Errorf("a child past the bound: %v, want 2", got)
	}

	w := &CounterVec{CounterVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "w_total"}, []string{"a", "b"})}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				w.WithLabelValues("p", "q").Inc()
			}
		})
	}
	wg.Wait()
	if got := testutil.ToFloat64(w.CounterVec.WithLabelValues("p", "q")); got != 800 {
		t.Errorf("concurrent counts: %v, want 800", got)
	}
	if n := testutil.CollectAndCount(w); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
}
