//! Criterion benchmarks and side-by-side comparison scripts; see `benches/` and RESULTS.md.
