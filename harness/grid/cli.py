"""`harness grid GRID.yaml --output-path DIR [--parallel N | --ray [ADDRESS]]`."""

from __future__ import annotations

import sys
from pathlib import Path


def cmd_grid(args, argv: list[str]) -> int:
    from harness.grid.execute import check_output, run_grid
    from harness.grid.executors import processes, ray_tasks, sequential
    from harness.grid.spec import load_grid
    from harness.run.session import RunOptions

    grid = load_grid(args.grid_file)  # the whole file is checked before anything starts
    out = Path(args.output_path)
    check_output(out, grid)
    if args.ray is not None:
        executor = ray_tasks(args.ray)
    else:
        executor = processes(args.parallel) if args.parallel > 1 else sequential
    problems = run_grid(grid, out, RunOptions.from_args(args), ["harness"] + argv, executor)
    for p in problems:
        print(f"harness: error: {p}", file=sys.stderr)
    if problems:
        print(f"harness: {len(problems)} run(s) failed; fix the cause and rerun the same command to resume them",
              file=sys.stderr)  # fmt: skip
    return 1 if problems else 0
