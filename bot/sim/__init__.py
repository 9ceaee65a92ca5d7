"""A simulated Telegram for tests, benchmarks and the offline demo.

* ``api.FakeTelegram`` - the Bot API methods the bot calls, over in-memory ``state``
  (parameters read by ``params``, messages made by ``messages``); its users (``users``),
  faults and flood limits (``faults``) and long polling (``polling``); HTML checking in
  ``entities``.
* ``transport.SimulatedRequest`` - plugs a ``FakeTelegram`` into python-telegram-bot in-process.
* The kit shared by the demo, the tests and the benchmarks: ``config`` (one config writer),
  ``participant`` (a simulated participant reading buttons by their callback data) and
  ``audit`` (what the database holds against what participants saw), ``watch`` (what the
  bot showed, followed call by call) and ``harness`` (the real Application, built, started
  and stopped one way).

The loopback HTTP server needs aiohttp and lives with the tests (``tests/sim_server.py``).
"""
