"""Tools beside the two paths: benchmarks, problem sets, reports, the demo, serving a model."""
