//! Which loader a zip is for, from its member names alone: torch's checkpoint and
//! TorchScript layouts (everything under one top folder with `data.pkl`), a Keras v3
//! archive, a NumPy `.npz`. The driver scans members by content either way; the layout
//! decides the pickle context, the report's format, and which members carry code.

use std::collections::HashSet;

use crate::format::Format;

/// A zip's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZipLayout {
    pub format: Format,
    /// torch's top folder (`archive/`, or "" for a flat checkpoint), when `data.pkl` is
    /// there.
    pub torch_root: Option<String>,
}

impl ZipLayout {
    /// Classifies the member names of a zip (directories end with `/`).
    pub fn of(names: &[&str]) -> ZipLayout {
        let set: HashSet<&str> = names.iter().copied().collect();
        // torch writes every record under one top folder: <archive>/data.pkl.
        let torch_root = names
            .iter()
            .find_map(|n| {
                n.strip_suffix("data.pkl").filter(|r| {
                    r.is_empty() || (r.ends_with('/') && !r[..r.len() - 1].contains('/'))
                })
            })
            .map(str::to_string);
        let torchscript = torch_root.as_ref().is_some_and(|r| {
            set.contains(format!("{r}constants.pkl").as_str())
                || names.iter().any(|n| n.starts_with(&format!("{r}code/")))
        });
        let keras_archive = torch_root.is_none()
            && set.contains("config.json")
            && (set.contains("metadata.json")
                || set.contains("model.weights.h5")
                || set.contains("model.weights.npz"));
        let npz = names.iter().any(|n| n.ends_with(".npy"))
            && names
                .iter()
                .all(|n| n.ends_with(".npy") || n.ends_with('/'));
        let format = if keras_archive {
            Format::KerasArchive
        } else if torchscript {
            Format::TorchScript
        } else if torch_root.is_some() {
            Format::TorchZip
        } else if npz {
            Format::Npz
        } else {
            Format::Zip
        };
        ZipLayout { format, torch_root }
    }

    /// A Keras v3 archive recognised by its config.json's content.
    pub(crate) fn keras_archive() -> ZipLayout {
        ZipLayout {
            format: Format::KerasArchive,
            torch_root: None,
        }
    }

    pub(crate) fn is_torchscript(&self) -> bool {
        self.format == Format::TorchScript
    }

    pub(crate) fn is_keras_archive(&self) -> bool {
        self.format == Format::KerasArchive
    }

    /// The Keras archive members that describe the model (read as Keras JSON, not scanned
    /// as members).
    pub(crate) fn is_keras_description(&self, name: &str) -> bool {
        self.is_keras_archive() && (name == "config.json" || name == "metadata.json")
    }

    /// TorchScript source that `torch.jit.load` compiles.
    pub(crate) fn is_torchscript_code(&self, name: &str) -> bool {
        self.is_torchscript()
            && self
                .torch_root
                .as_ref()
                .is_some_and(|r| name.starts_with(&format!("{r}code/")) && name.ends_with(".py"))
    }

    /// The storage key of a torch data record (`archive/data/<key>`).
    pub(crate) fn storage_key<'n>(&self, name: &'n str) -> Option<&'n str> {
        let root = self.torch_root.as_ref()?;
        name.strip_prefix(root.as_str())?.strip_prefix("data/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_from_member_names() {
        let torch = ZipLayout::of(&["archive/data.pkl", "archive/data/0", "archive/version"]);
        assert_eq!(torch.format, Format::TorchZip);
        assert_eq!(torch.torch_root.as_deref(), Some("archive/"));
        assert_eq!(torch.storage_key("archive/data/0"), Some("0"));
        assert_eq!(torch.storage_key("other/data/0"), None);
        let flat = ZipLayout::of(&["data.pkl", "data/0"]);
        assert_eq!(flat.torch_root.as_deref(), Some(""));
        let ts = ZipLayout::of(&["m/data.pkl", "m/constants.pkl", "m/code/__torch__.py"]);
        assert!(ts.is_torchscript());
        assert!(ts.is_torchscript_code("m/code/__torch__.py"));
        assert!(!ts.is_torchscript_code("m/code/x.pkl"));
        let keras = ZipLayout::of(&["config.json", "metadata.json", "model.weights.h5"]);
        assert!(keras.is_keras_description("config.json"));
        assert_eq!(ZipLayout::of(&["a.npy", "b.npy"]).format, Format::Npz);
        assert_eq!(ZipLayout::of(&["a.npy", "b.txt"]).format, Format::Zip);
        // A data.pkl two folders down is not torch's layout.
        assert_eq!(ZipLayout::of(&["a/b/data.pkl"]).format, Format::Zip);
    }
}
