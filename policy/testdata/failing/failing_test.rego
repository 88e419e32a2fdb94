package failing_test

test_passes if {
	1 == 1
}

test_fails if {
	print("printed by a failing test")
	1 == 2
}

test_errors if {
	to_number("not a number") == 1
}

todo_test_later if {
	false
}
