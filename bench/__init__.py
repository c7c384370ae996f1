"""Benchmarks: `python -m bench.ocpp_load`, `python -m bench.web_load`, `python -m bench.start_latency`.

See bench/README.md.
"""
