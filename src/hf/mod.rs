//! Hugging Face repository knowledge, in one place and without network: which files a
//! repository holds and what loaders do with them (`files`: configs, tokenizers, chat
//! templates, remote code, shard indexes), the model card (`card`), and the local cache
//! layout (`cache_layout`: `models--org--name/{blobs,snapshots,refs}`). The Hub client,
//! which fetches, lives in `hub`.

pub mod cache_layout;
pub mod card;
pub mod files;
pub mod lfs;
