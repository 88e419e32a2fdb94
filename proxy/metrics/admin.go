package metrics

import "github.com/prometheus/client_golang/prometheus"

// Admin holds the admin API's collectors (RegisterAdmin).
type Admin struct {
	Unauthorized *prometheus.CounterVec // veil_admin_unauthorized_total{reason}
}

// RegisterAdmin registers the admin API's collectors on reg: requests
// refused for want of the admin token, by reason (missing: no bearer
// token; invalid: a wrong one).
func RegisterAdmin(reg prometheus.Registerer) *Admin {
	a := &Admin{Unauthorized: counterVec("admin", "unauthorized_total",
		"Admin API requests refused with 401, by reason: missing (no bearer token), invalid (a wrong one).",
		"reason")}
	for _, r := range []string{"missing", "invalid"} {
		a.Unauthorized.WithLabelValues(r)
	}
	reg.MustRegister(a.Unauthorized)
	return a
}
