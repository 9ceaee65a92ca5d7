"""`python -m cli`: the same as `feedback-bot`, for a checkout without the console script."""

from cli.main import main

raise SystemExit(main())
