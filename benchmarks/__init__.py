"""The benchmarks, each run from the checkout's root as ``python -m benchmarks.NAME``
(``room``, ``crash_loop``, ``summary``; see benchmarks/README.md)."""
