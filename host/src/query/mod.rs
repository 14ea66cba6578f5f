//! # Query side (being written)
