// Package config owns Veil's typed configuration: the YAML of `veil serve
// -c FILE`, its Default* constants, strict decoding (unknown keys are
// errors) and Validate, which reports every problem at once (--check).
package config
