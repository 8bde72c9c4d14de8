//! Florilège as a library: configuration, the command line and the commands behind it.

pub mod cli;
pub mod config;
pub mod demo;
mod hosts_list;
pub mod node;
pub mod telemetry;

pub use config::Config;
pub use hosts_list::{HostsPage, parse_hosts_list};
