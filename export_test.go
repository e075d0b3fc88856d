package glomo

// ResetIsolationWarning lets a test see the once-per-process warning.
func ResetIsolationWarning() { isolationWarned.Store(false) }
