"""`python -m bench`: the side-by-side benchmark of issues 12 and 13 (see bench/run.py and docs/benchmarks.md)."""

from bench.run import main

main()
