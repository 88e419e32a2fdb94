package inspect

import (
	"slices"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

// isDownload answers what config's IsDownload answers, for the default
// patterns and for patterns whose classes or escapes match a '/'.
func TestIsDownloadIsConfigs(t *testing.T) {
	patterns := slices.Concat(config.DefaultSalesforceDownloads, config.DefaultHubSpotDownloads, []string{
		"/a[/]b", "/a[^x]b/*", "/a\\/b", "/a/\\*", "/x/?/y", "/x/*", "*", "/", "", "/a[", "/a\\", "/files/*/[a-z]*",
	})
	paths := []string{
		"", "/", "/a/b", "/a//b", "/axb/c", "/a/*", "/x/1/y", "/x//y", "/x/ab/y", "/x/", "/x/a", "/x/a/b", "a",
		"/services/data/v62.0/query", "/services/data/v62.0/sobjects/ContentVersion/068xx/VersionData",
		"/services/data/v62.0/sobjects/ContentVersion/068xx/VersionData/", "/services/data//sobjects/Attachment//Body",
		"/services/data/v62.0/connect/files/069xx/content", "/files/v3/files/123/download", "/files/v3/files/1/2/download",
		"/files/abc/zz", "/files/abc/Zz", "/a/b/c/d/e/f/g",
	}
	for _, pat := range patterns {
		r := &config.Route{Downloads: []string{pat}}
		for _, p := range paths {
			if got, want := isDownload(r, p), r.IsDownload(p); got != want {
				t.Errorf("pattern %q, path %q: %v, config says %v", pat, p, got, want)
			}
		}
	}
	all := &config.Route{Downloads: patterns}
	for _, p := range paths {
		if got, want := isDownload(all, p), all.IsDownload(p); got != want {
			t.Errorf("every pattern, path %q: %v, config says %v", p, got, want)
		}
	}
}

// BenchmarkIsDownload: a query's response on a Salesforce route, which
// is no download, as every response asks it.
func BenchmarkIsDownload(b *testing.B) {
	r := &config.Route{Downloads: config.DefaultSalesforceDownloads}
	const p = "/services/data/v62.0/query"
	b.Run("config", func(b *testing.B) {
		for b.Loop() {
			_ = r.IsDownload(p)
		}
	})
	b.Run("inspect", func(b *testing.B) {
		for b.Loop() {
			_ = isDownload(r, p)
		}
	})
}
