//! # Shipped plugins
//!
//! The components built from `plugins/` by the host's build script and
//! embedded in the binary, so `rampart start` needs no plugin files.

include!(concat!(env!("OUT_DIR"), "/shipped.rs"));
