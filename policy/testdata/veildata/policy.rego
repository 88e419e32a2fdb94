package veil

decision := {"allow": true}
