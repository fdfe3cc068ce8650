//! Integration tests: a real server on 127.0.0.1:0, real HTTP and WebSocket clients.

mod helpers;

mod alerts;
mod backup;
mod calendar;
mod cancelled;
mod chat;
mod core;
mod crash;
mod credits;
mod deploy;
mod draws;
mod embed;
mod english_evening;
mod erasure;
mod fold;
mod follow;
mod goal;
mod matching;
mod media;
mod metrics;
mod milestones;
mod moderation;
mod polls;
mod proxy;
mod report;
mod rewards;
mod security;
mod startup;
mod tls;
mod twitch;
mod validation;
mod webhooks;
mod websocket;
