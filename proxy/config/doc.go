// Package config owns Veil's typed configuration: the YAML file of
// `veil serve -c FILE`, its Default* constants, strict decoding (unknown keys
// are errors) and Validate, which changes nothing and reports every problem
// at once so `veil serve --check` can list them all.
package config
