//! Meta OPT (`OPTForCausalLM`): learned positions offset by 2, pre- or post-LayerNorm blocks, ReLU
//! feed-forward, output projection tied to the token embedding.

mod config;
mod loader;
mod model;

pub use config::OptConfig;
pub use model::Opt;
