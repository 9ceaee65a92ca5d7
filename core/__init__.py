"""The Telegram-free core: config, questionnaires, storage and the journey's rules.

Both `bot` (the Telegram side) and `analysis` (the summary) build on it; it imports neither.
"""
