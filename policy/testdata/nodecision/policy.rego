package veil

allow := true
