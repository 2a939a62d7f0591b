"""codexvm's own Python modules: the task scheduler (`codexvm.scheduler`), the batching helper
(`codexvm.batch`) and the instruction budget (`codexvm.budget`)."""
