"""`python -m bench`: the app's throughput, latency and memory, measured the way users feel them."""
