//! # Command side (being written)
