"""The simulated Bot API, split by job: ``api.FakeTelegram`` answers the methods the bot
calls the way Telegram does; ``transport.SimulatedRequest`` plugs it into python-telegram-bot."""
