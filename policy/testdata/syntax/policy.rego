package veil

decision := {"allow": true}

broken if {
	input.x ==
}
