"""Sessions benchmark: a whole cohort's series planned, against a minute-by-minute baseline."""
