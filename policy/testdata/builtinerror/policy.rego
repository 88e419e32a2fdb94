package veil

# A built-in failing on an input value: with strict built-in errors this is
# an evaluation error, not an undefined (and silently skipped) expression.
decision := {"allow": to_number(input.principal.id) > 0}
