"""The test and benchmark half of the simulation kit; not in the package (its HTTP server
needs aiohttp, a test-only dependency)."""
