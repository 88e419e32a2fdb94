package config

import "path/filepath"

// resolvePaths makes every relative file path in c relative to dir, the
// directory of the file c was loaded from, so a configuration means the
// same files whatever directory Veil is started in. Absolute paths and
// unset ones are left alone.
func (c *Config) resolvePaths(dir string) {
	for _, p := range []*string{
		&c.Policy.Rules,
		&c.Redis.PasswordFile,
		&c.Vault.KeysFile,
		&c.Audit.File, &c.Audit.AlertFile, &c.Audit.SpoolDir,
		&c.Audit.ChainKeyFile, &c.Audit.SigningKeyFile, &c.Audit.HeadFile,
		&c.Identity.UsernameHashKeyFile,
		&c.Admin.TokenFile,
		&c.Admin.TLS.CertFile, &c.Admin.TLS.KeyFile, &c.Admin.TLS.ClientCAFile,
		&c.TLS.CertFile, &c.TLS.KeyFile, &c.TLS.ClientCAFile,
		&c.Forward.CACert, &c.Forward.CAKey, &c.Forward.UpstreamCA,
		&c.Forward.TLS.CertFile, &c.Forward.TLS.KeyFile, &c.Forward.TLS.ClientCAFile,
	} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}
