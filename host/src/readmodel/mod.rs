//! # Read models (being written)
