package veil

decision := {"allow": true} if {
	input.direction == "sideways"
}
