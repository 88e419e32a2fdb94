package proxy

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/inventory"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/record"
	"github.com/veil-proxy/veil/proxy/watch"
)

// inventoryFlush is how often a replica merges its inventory counts into
// Redis.
const inventoryFlush = 10 * time.Second

// soc is the SOC side of a server beside the audit recorder (in Stores):
// the behaviour watch and the data inventory.
type soc struct {
	watch  *watch.Watch         // nil: watch.disabled
	inv    *inventory.Inventory // nil: inventory.disabled
	gate   *audit.AlertGate     // nil: no audit recorder
	cancel context.CancelFunc
	done   chan struct{}
}

// openSOC builds the watch and the inventory, in Redis when it is
// configured, and the alert gate in front of the recorder's alerts
// (audit.alert_window, audit.alert_budget). alert takes the watch's alerts
// (already counted) when there is no gate.
func openSOC(cfg *config.Config, stores *Stores, m *metrics.Metrics, log *zap.Logger, alert func(audit.Alert)) *soc {
	ctx, cancel := context.WithCancel(context.Background())
	s := &soc{cancel: cancel, done: make(chan struct{})}
	if stores.Audit != nil {
		s.gate = audit.NewAlertGate(stores.Audit.Alert, cfg.Audit.AlertWindow, cfg.Audit.AlertBudget)
		// The watch aggregates its own alerts: only the kind's budget.
		alert = func(a audit.Alert) { _ = s.gate.Pass(a) }
	}
	if !cfg.Watch.Disabled {
		s.watch = watch.New(cfg.Watch, stores.Redis, alert, watch.Counters{Alerts: m.Alerts, StoreErrors: m.WatchStoreErrors}, log.Named("watch"))
	}
	if cfg.Inventory.Disabled {
		close(s.done)
		return s
	}
	s.inv = inventory.New(cfg.Inventory.MaxEntries, m.InventoryEntries)
	if stores.Redis == nil {
		close(s.done)
		return s
	}
	s.inv.WithRedis(stores.Redis, "")
	go func() {
		defer close(s.done)
		s.inv.Run(ctx, inventoryFlush, func(err error) {
			log.Warn("inventory: merge into redis failed; retried at the next flush", zap.Error(err))
		})
	}()
	return s
}

// watcher and inventory are the Inspector's views: nil interfaces, not
// interfaces holding nil pointers, when off.
func (s *soc) watcher() record.Watcher {
	if s.watch == nil {
		return nil
	}
	return s.watch
}

func (s *soc) inventory() record.Inventory {
	if s.inv == nil {
		return nil
	}
	return s.inv
}

// close writes what the watch has queued and the inventory's last counts.
func (s *soc) close() error {
	s.cancel()
	<-s.done
	var errs []error
	if s.watch != nil {
		errs = append(errs, s.watch.Close())
	}
	if s.gate != nil {
		errs = append(errs, s.gate.Close()) // the pending summaries, before the recorder closes
	}
	return errors.Join(errs...)
}

// recorder is the Inspector's view of the audit recorder: its alerts (the
// policy's, fail_open) are aggregated per principal and kind by the gate.
func (s *soc) recorder(stores *Stores) record.AuditLog {
	r := stores.recorder()
	if r == nil || s.gate == nil {
		return r
	}
	return gatedRecorder{AuditLog: r, gate: s.gate}
}

type gatedRecorder struct {
	record.AuditLog
	gate *audit.AlertGate
}

func (r gatedRecorder) Alert(a audit.Alert) error { return r.gate.Aggregate(a) }

// recorder is the Inspector's view of the audit recorder.
func (s *Stores) recorder() record.AuditLog {
	if s.Audit == nil {
		return nil
	}
	return s.Audit
}

// alert hands a watch alert to the recorder.
func (s *Stores) alert(a audit.Alert) {
	if s.Audit != nil {
		_ = s.Audit.Alert(a) // the recorder counts and logs what it cannot keep
	}
}
