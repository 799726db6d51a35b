//! Format recognition by content and the per-format parsers.
//!
//! Each format's parse entry point returns a [`Parsed`]: findings, facts for the report
//! and the BOM, and whether everything was examined. The driver copies it onto the
//! artifact; parsers never touch the report themselves. Each module declares its
//! registry entry (`FORMAT`), which names that entry point.

pub mod catboost;
pub(crate) mod flatbuffer;
pub mod gguf;
pub mod hdf5;
pub mod keras;
pub mod lightgbm;
pub(crate) mod loader_config;
pub mod numpy;
pub mod onnx;
pub(crate) mod onnx_ops;
pub(crate) mod packaged_code;
pub mod pickle;
pub mod protobuf;
pub(crate) mod pyc;
pub(crate) mod quantized_tensors;
pub mod registry;
pub mod safetensors;
pub mod savedmodel;
pub(crate) mod skops;
pub(crate) mod skops_trusted;
pub mod template;
pub mod tf_metadata;
pub mod tf_ops;
pub mod tflite;
pub mod torch;
pub mod xgboost;
pub mod yaml;
pub mod zip_layout;

pub use protobuf::display_string;

pub use crate::format::{Embedded, Parsed};
