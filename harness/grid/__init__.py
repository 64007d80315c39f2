"""`harness grid GRID.yaml --output-path DIR`: many runs from one file (`spec`: defaults, named runs, matrices,
checked whole before anything starts), each run written to DIR/<name>/ by the one function `harness run` uses,
executed one after another, in local processes or as Ray tasks (`executors`), shards merged as `harness merge`
does, and a leaderboard of them all (`execute`)."""
