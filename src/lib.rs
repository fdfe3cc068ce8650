//! Cagnotte: live donation totals and overlays for charity streams.
//!
//! A request flows one way:
//! - [`http`] parses and authenticates it into a validated [`domain::state::Command`];
//! - the [`ledger`] writer decides it against the fold state ([`domain::state`]), commits a
//!   batch to the durable log ([`ledger::sqlite`]), then updates the read model ([`views`]) and
//!   publishes each event's frame, serialized once, to the per-live [`hub`];
//! - the [`fanout`] tasks, on threads of their own, write each batch's WebSocket bytes, framed
//!   once, to the sockets of overlays and viewers, whose sessions ([`http::ws`]) send the
//!   snapshot and replay, read pongs and closes, and write what a socket could not take at once.
//!
//! [`money`] holds amounts and currencies; [`secret`] ids and tokens; [`sessions`] the
//! dashboard's sign-ins; [`app`] wires it all
//! and [`config`] reads flags and `CAGNOTTE_*` variables; [`tls`] serves HTTPS when
//! configured; [`demo`] runs a demo campaign.

pub mod app;
pub mod backups;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod fanout;
pub mod http;
pub mod hub;
pub mod ledger;
pub mod media;
pub mod metrics;
pub mod money;
pub mod secret;
pub mod sessions;
pub mod tls;
pub mod views;
pub mod webhooks;
