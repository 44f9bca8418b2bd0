"""Benchmarks of Motif, outside the product's packages: each is `python -m tests.benchmarks.<name>`
(or `make bench-<name>`; the README lists them). A bench imports the product's public names only, and
no product module imports a bench."""
