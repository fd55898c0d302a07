//! Llama family (`LlamaForCausalLM`: Llama 2/3, SmolLM2, TinyLlama, …): RMSNorm, rotary positions
//! (Hugging Face half-split layout), SwiGLU feed-forward, grouped-query attention, tied or untied head.

mod config;
mod loader;
mod model;

pub use config::{LlamaConfig, RopeParameters};
pub use model::Llama;
