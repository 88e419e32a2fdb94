package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Digest is the lower-case hex SHA-256 of the principal's token: what the
// identity stage compares against, so plain tokens never need to be kept.
func (p Principal) Digest() string {
	if p.TokenSHA256 != "" {
		return strings.ToLower(p.TokenSHA256)
	}
	if p.Token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(p.Token))
	return hex.EncodeToString(sum[:])
}

// DemoPrincipals are the API keys of `veil demo`: the token is the
// principal's id, so `Authorization: Bearer demo-sales` is the sales rep.
// Each can also log in to the fake Salesforce through Veil as
// <role>@demo.example (any password), as jsforce does.
var DemoPrincipals = []Principal{
	{ID: "demo-admin", Token: "demo-admin", Roles: []string{"admin"}, MFA: true, CRMUsers: []string{"admin@demo.example"}},
	{ID: "demo-sales", Token: "demo-sales", Roles: []string{"sales_rep"}, CRMUsers: []string{"sales@demo.example"}},
	{ID: "demo-support", Token: "demo-support", Roles: []string{"support_agent"}, CRMUsers: []string{"support@demo.example"}},
	{ID: "demo-marketing", Token: "demo-marketing", Roles: []string{"marketing"}, CRMUsers: []string{"marketing@demo.example"}},
	{ID: "demo-analyst", Token: "demo-analyst", Roles: []string{"analyst"}, CRMUsers: []string{"analyst@demo.example"}},
}

// Demo is the configuration of `veil demo`: both routes point at the
// built-in fake CRM at crmURL.
func Demo(listen, adminListen, crmURL string) *Config {
	c := &Config{
		Listen: listen,
		Admin:  Admin{Listen: adminListen},
		Identity: Identity{
			Principals: append([]Principal(nil), DemoPrincipals...),
		},
		Routes: []Route{
			{Name: "salesforce", Dialect: DialectSalesforce, Prefix: "/services/", Upstream: crmURL, Purpose: "support"},
			{Name: "hubspot", Dialect: DialectHubSpot, Prefix: "/crm/", Upstream: crmURL, Purpose: "marketing"},
		},
	}
	c.ApplyDefaults()
	return c
}
