"""The benchmark (issue 9): `make bench` or `python -m bench --help`. Not part of the pipeline."""
