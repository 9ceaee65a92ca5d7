"""The `feedback-bot` command line: `main` parses and ends every command the same way; each
command lives in its own module (`run`, `check`, `backup`, `demo`, `reports`, `cohort`)."""
