//! The caches of seed 004 over the real server: invalidated on every node
//! (two processes on one PostgreSQL, memory caches), Redis behind its
//! circuit breaker (Redis cut off under load, no request fails), and the
//! milestones through the API.

mod breaker;
mod cross_node;
mod milestones;
mod write_models;
