//! # alien
//!
//! Not a plugin: a plain WASI command (`wasi:cli/run`), a component of the
//! wrong world. The host must refuse to load it and say why.

fn main() {
    println!("not a plugin");
}
