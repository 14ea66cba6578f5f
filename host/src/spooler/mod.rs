//! # Spoolers (being written)
