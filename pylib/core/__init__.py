"""realms' `core` package paths that codexes import (`core.execution`, `core.task_manager`,
`core.extensions`)."""
