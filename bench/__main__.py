"""`python -m bench`: the side-by-side benchmark of issue 12 (see bench/run.py and docs/benchmarks.md)."""

from bench.run import main

main()
