//! The Rust types, servers and clients generated from `proto/`, one module
//! per protobuf package (`rampart::user::v1`, …), and the encoded
//! descriptor set they came from.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

/// The encoded `FileDescriptorSet` of every file under `proto/` and its
/// imports, comments and custom options included.
pub const DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/rampart_descriptor.bin"));

/// Declares `pub mod <name> { pub mod v1 { <generated> } }` per package.
macro_rules! packages {
    ($($name:ident => $file:literal),* $(,)?) => {
        /// Package `rampart.*`.
        pub mod rampart {
            $(
                /// A `rampart.*` package.
                pub mod $name {
                    /// Version 1.
                    pub mod v1 {
                        include!(concat!(env!("OUT_DIR"), "/", $file));
                    }
                }
            )*
        }
    };
}

packages!(
    api => "rampart.api.v1.rs",
    auth => "rampart.auth.v1.rs",
    authorization => "rampart.authorization.v1.rs",
    event => "rampart.event.v1.rs",
    instance => "rampart.instance.v1.rs",
    member => "rampart.member.v1.rs",
    oidc => "rampart.oidc.v1.rs",
    org => "rampart.org.v1.rs",
    plugin => "rampart.plugin.v1.rs",
    project => "rampart.project.v1.rs",
    projection => "rampart.projection.v1.rs",
    session => "rampart.session.v1.rs",
    settings => "rampart.settings.v1.rs",
    user => "rampart.user.v1.rs",
);
