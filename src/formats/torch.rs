//! PyTorch specifics: storage element sizes for the persistent-id check, and the
//! TorchScript code check.

use crate::findings::Finding;
use crate::rules;

/// Bytes per element of a torch storage type as pickled in persistent ids.
pub(crate) fn storage_element_size(type_name: &str) -> Option<u64> {
    let short = type_name.rsplit('.').next()?;
    Some(match short {
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "FloatStorage" | "IntStorage" | "QInt32Storage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "ComplexDoubleStorage" => 16,
        "CharStorage"
        | "ByteStorage"
        | "BoolStorage"
        | "QUInt8Storage"
        | "QInt8Storage"
        | "QUInt4x2Storage"
        | "QUInt2x4Storage"
        | "UntypedStorage"
        | "Float8_e5m2Storage"
        | "Float8_e4m3fnStorage"
        | "Float8_e5m2fnuzStorage"
        | "Float8_e4m3fnuzStorage" => 1,
        _ => return None,
    })
}

/// Operator namespaces that ship with torch itself.
const STANDARD_OP_NAMESPACES: &[&str] = &[
    "aten",
    "prim",
    "quantized",
    "_quantized",
    "profiler",
    "_caffe2",
    "cuda",
    "mkldnn",
    "_c10d_functional",
    "c10d",
    "inductor",
];

/// Checks one TorchScript source file for operations that leave TorchScript's confines.
pub(crate) fn check_torchscript_source(member: &str, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut report = |needle: &str, what: String| {
        if let Some(pos) = text.find(needle) {
            let line = text[..pos].matches('\n').count() + 1;
            findings.push(
                Finding::new(
                    &rules::TORCHSCRIPT_UNSAFE_OP,
                    format!("{member} line {line}: {what}"),
                )
                .offset(pos as u64)
                .detail(
                    text[pos..]
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .chars()
                        .take(200)
                        .collect::<String>(),
                ),
            );
        }
    };
    for needle in ["load_library", "torch.classes.load_library"] {
        report(needle, "loads a native operator library".into());
    }
    for needle in [
        "open(",
        "torch.save(",
        "torch.load(",
        "readlines(",
        "write_file",
        "read_file",
    ] {
        report(
            needle,
            format!("reads or writes files (`{}`)", needle.trim_end_matches('(')),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (pos, _) in text.match_indices("ops.") {
        let rest = &text[pos + 4..];
        let ns: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let preceded_ok = pos == 0 || !text.as_bytes()[pos - 1].is_ascii_alphanumeric();
        if preceded_ok
            && !ns.is_empty()
            && rest[ns.len()..].starts_with('.')
            && !STANDARD_OP_NAMESPACES.contains(&ns.as_str())
            && seen.insert(ns.clone())
        {
            let line = text[..pos].matches('\n').count() + 1;
            findings.push(
                Finding::new(&rules::TORCHSCRIPT_UNSAFE_OP, format!("{member} line {line}: calls custom operators in namespace `{ns}` (native code from an extension library)"))
                    .offset(pos as u64)
                    .detail(format!("ops.{ns}")),
            );
        }
    }
    findings
}

/// The pre-1.6 `torch.save` layout: a pickle stream behind torch's magic number.
pub(crate) static LEGACY_FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::TorchLegacy,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| {
        b.starts_with(crate::formats::pickle::TORCH_LEGACY_MAGIC)
            .then_some(crate::format::Evidence::Magic)
    },
    tail: None,
    claimed_by: &["pt", "pth", "bin", "ckpt"],
    exclusive_names: &[],
    parse: crate::format::Parser::Driver,
};

/// Every storage a checkpoint's pickle names must have its `data/<key>` record, large
/// enough for its elements. `records` maps a record's storage key to its uncompressed
/// size (the last record of a duplicated name, as torch reads it). Linear in storages.
pub(crate) fn check_storages(
    root: &str,
    records: &std::collections::HashMap<&str, u64>,
    storages: &[crate::formats::pickle::StorageRef],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for s in storages {
        let name = format!("{root}data/{}", s.key);
        let Some(&size) = records.get(s.key.as_str()) else {
            findings.push(
                Finding::new(
                    &rules::TORCH_STORAGE_MISMATCH,
                    format!("storage `{}` ({}) has no record {name}", s.key, s.type_name),
                )
                .offset(s.offset),
            );
            continue;
        };
        if let (Some(numel), Some(elem)) = (s.numel, storage_element_size(&s.type_name)) {
            match numel.checked_mul(elem) {
                Some(need) if need <= size => {}
                need => findings.push(
                    Finding::new(
                        &rules::TORCH_STORAGE_MISMATCH,
                        format!(
                            "storage `{}` needs {} bytes ({numel} x {elem}) but {name} holds {size}",
                            s.key,
                            need.map_or("more than 2^64".to_string(), |n| n.to_string()),
                        ),
                    )
                    .offset(s.offset),
                ),
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_native_libraries_and_custom_ops() {
        let f = check_torchscript_source(
            "code/__torch__/m.py",
            "def forward(self):\n  torch.ops.load_library(\"x.so\")\n  return ops.evil.run(x)\n",
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].message.contains("line 2"));
        assert!(f[1].message.contains("`evil`"));
    }

    #[test]
    fn quiet_on_standard_ops() {
        let f = check_torchscript_source(
            "code/m.py",
            "def forward(self, x):\n  return ops.aten.relu(x) + ops.prim.NumToTensor(1)\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn element_sizes() {
        assert_eq!(storage_element_size("torch.FloatStorage"), Some(4));
        assert_eq!(
            storage_element_size("torch.storage.UntypedStorage"),
            Some(1)
        );
        assert_eq!(storage_element_size("torch.Mystery"), None);
    }
}
