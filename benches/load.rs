//! Loader benchmarks (being written).
fn main() {}
