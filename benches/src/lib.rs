//! Benchmark support for lpconvert (generators live in src/bin).
