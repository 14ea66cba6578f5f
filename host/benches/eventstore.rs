//! Eventstore benchmark (written next).
fn main() {}
