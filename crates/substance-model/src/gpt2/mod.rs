//! OpenAI GPT-2 (`GPT2LMHeadModel`): learned positions (no offset), pre-LayerNorm blocks, `Conv1D`
//! projections stored `[in, out]`, `gelu_new` (tanh approximation), output projection tied to `wte`.

mod config;
mod loader;
mod model;

pub use config::Gpt2Config;
pub use model::Gpt2;
