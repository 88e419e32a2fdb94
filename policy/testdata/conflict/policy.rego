package veil

decision := {"allow": true}

decision := {"allow": false} if {
	input.direction == "response"
}
