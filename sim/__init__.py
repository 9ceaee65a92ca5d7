"""A simulated Telegram with simulated people in it: the offline demo's world, and the kit the
tests and benchmarks drive the real bot with.

* ``sim.telegram`` - the simulated Bot API: ``api.FakeTelegram`` (the methods the bot calls,
  over in-memory ``state``; parameters read by ``params``, messages made by ``messages``), its
  users (``users``), faults and flood limits (``faults``), long polling (``polling``), HTML
  checking (``entities``), and ``transport.SimulatedRequest``, which plugs it into
  python-telegram-bot in-process.
* ``harness`` - the real Application on it, built, started and stopped one way; ``config`` -
  the one config writer; ``participant`` - a simulated participant reading buttons by their
  callback data.
* ``sim.testing`` - for tests and benchmarks only, never shipped: the database ``audit``,
  ``watch`` (what the bot showed, call by call), ``process`` (the bot as a child process),
  ``http_server`` (the simulated Bot API over loopback HTTP, with aiohttp) and the
  ``crash_loop``.

The package holds ``sim.telegram`` and the three modules above (what ``feedback-bot demo``
runs on); ``sim.testing`` stays in the checkout.
"""
