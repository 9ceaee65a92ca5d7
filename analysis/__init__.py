"""Analysis of questionnaire answers: load → compute → render. Knows nothing about Telegram."""
