//! CatBoost binary models (`.cbm`, `save_model` with `format="cbm"`): the magic `CBM1`, the
//! size of the model core, the core as a FlatBuffer (`TModelCore` of CatBoost's
//! `model.fbs`), then the parts the core lists in `ModelPartIds` (CTR tables of models
//! with categorical features).
//!
//! The format holds no code. CatBoost's loader indexes its arrays with the numbers the
//! file gives, so the trees are checked the way it uses them: the tree sizes add up to
//! the splits, each tree's start offset is where the previous tree ends, a symmetric tree
//! has `2^depth` leaves per dimension, and in a non-symmetric tree every step stays inside
//! its tree and every leaf id inside the leaf values (MV1101, MV1102, as for XGBoost and
//! LightGBM). The static CTR provider's part (the tables of categorical features) is read
//! table by table, each hash index and value blob inside its table; any other part is not
//! read, and makes the model incomplete.

use super::flatbuffer::{malformed, truncated, Reader, Result, Stop, Table};
use crate::findings::Finding;
use crate::format::Parsed;
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::ReadAt;

const MAGIC: &[u8; 4] = b"CBM1";
/// Deepest symmetric tree CatBoost builds (its `depth` option allows at most 16).
const MAX_SYMMETRIC_DEPTH: u64 = 16;
/// Info map keys kept as facts (the rest are listed by name).
const INFO_FACTS: &[&str] = &["model_guid", "train_finish_time"];

/// A finding about the trees; reading goes on after it.
enum TreeProblem {
    Malformed(String),
    OutOfRange(String),
}

/// The registry's entry point.
pub(crate) fn check_catboost_into(src: &dyn ReadAt, out: &mut Parsed) {
    let mut problems = Vec::new();
    let result = read_model(src, out, &mut problems);
    for p in problems {
        match p {
            TreeProblem::Malformed(m) => out.push(Finding::new(&rules::TREE_MODEL_MALFORMED, m)),
            TreeProblem::OutOfRange(m) => {
                out.push(Finding::new(&rules::TREE_MODEL_INDEX_OUT_OF_RANGE, m))
            }
        }
    }
    match result {
        Ok(()) => {}
        Err(Stop::Limit(hit)) => out.limit(hit),
        Err(Stop::Malformed(m)) => {
            out.push(Finding::new(
                &rules::TREE_MODEL_MALFORMED,
                format!("malformed CatBoost model: {m}"),
            ));
            out.incomplete(format!("malformed CatBoost model: {m}"));
        }
        Err(Stop::Truncated(m)) => out.incomplete(format!("CatBoost model cut short: {m}")),
    }
}

/// A vector of 4-byte integers, bounded by the tree-model limit.
fn ints(r: &mut Reader, t: &Table, field: usize, what: &str) -> Result<Vec<u32>> {
    let Some((data, count)) = r.vector(t, field, 4, what)? else {
        return Ok(Vec::new());
    };
    if count > limits::MAX_TREE_MODEL_NODES as u64 {
        return Err(Stop::Limit(LimitHit::TreeModelNodes));
    }
    let bytes = r.bytes(data, count as usize * 4, what)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn read_model(src: &dyn ReadAt, out: &mut Parsed, problems: &mut Vec<TreeProblem>) -> Result<()> {
    let mut r = Reader::new(src);
    if r.bytes(0, 4, "magic")? != MAGIC {
        return malformed("no CBM1 magic");
    }
    let core_size = r.uint(4, 4, "model core size")?;
    if 8 + core_size > r.len {
        return truncated(format!(
            "the model core of {core_size} bytes runs past the end of the file ({} bytes)",
            r.len
        ));
    }
    let root = 8 + r.uint(8, 4, "root table offset")?;
    let core = r.table(root, "TModelCore")?;
    if let Some(v) = r.string(&core, 0, "TModelCore.FormatVersion")? {
        out.fact("format_version", v);
    }
    if let Some((data, count)) = r.vector(&core, 2, 4, "TModelCore.InfoMap")? {
        let mut keys = Vec::new();
        for k in 0..count.min(256) {
            let kv = r.element(data, k, "TKeyValue")?;
            let Some(key) = r.string(&kv, 0, "TKeyValue.Key")? else {
                continue;
            };
            if INFO_FACTS.contains(&key.as_str()) {
                if let Some(value) = r.string(&kv, 1, "TKeyValue.Value")? {
                    out.fact(&format!("info_{key}"), value);
                }
            }
            keys.push(key);
        }
        out.fact("info_keys", keys);
    }
    let mut parts = Vec::new();
    if let Some((data, count)) = r.vector(&core, 3, 4, "TModelCore.ModelPartIds")? {
        for k in 0..count.min(256) {
            let at = r.follow(data + 4 * k, "ModelPartIds")?;
            let len = r.uint(at, 4, "ModelPartIds")?;
            let shown = len.min(super::flatbuffer::MAX_NAME_CHARS as u64) as usize;
            let name = r.bytes(at + 4, shown, "ModelPartIds")?;
            parts.push(crate::formats::display_string(
                &name,
                super::flatbuffer::MAX_NAME_CHARS,
            ));
        }
    }
    let Some(trees_at) = r.field(&core, 1) else {
        return malformed("the model core has no trees");
    };
    let trees_table = r.follow(trees_at, "TModelCore.ModelTrees")?;
    let trees = r.table(trees_table, "ModelTrees")?;
    check_trees(&mut r, &trees, out, problems)?;
    let mut at = 8 + core_size;
    if !parts.is_empty() {
        out.fact("model_parts", &parts);
    }
    for part in &parts {
        if part != STATIC_CTR_PART {
            out.incomplete(format!("the model part {part} after the core is not read"));
            return Ok(());
        }
        at = check_ctr_tables(&mut r, at, out, problems)?;
    }
    if at < r.len {
        out.fact("trailing_bytes", r.len - at);
    }
    Ok(())
}

/// The part CatBoost writes for the CTR tables of categorical features.
const STATIC_CTR_PART: &str = "static_provider_v1";

/// The static CTR provider's part at `at`: a table count, then each table as its size and
/// a `TCtrValueTable` FlatBuffer (`ctr_data.fbs`), whose hash index and value blob must lie
/// inside it. Returns where the part ends.
fn check_ctr_tables(
    r: &mut Reader,
    mut at: u64,
    out: &mut Parsed,
    problems: &mut Vec<TreeProblem>,
) -> Result<u64> {
    let count = r.uint(at, 4, "CTR table count")?;
    if count > limits::MAX_TREE_MODEL_TREES as u64 {
        return Err(Stop::Limit(LimitHit::TreeModelTrees));
    }
    at += 4;
    let mut blob_bytes = 0u64;
    for k in 0..count {
        let size = r.uint(at, 4, "CTR table size")?;
        let start = at + 4;
        let end = start + size;
        if end > r.len {
            return truncated(format!(
                "CTR table {k} of {size} bytes at offset {start} runs past the end of the file"
            ));
        }
        let root = start + r.uint(start, 4, "CTR table root offset")?;
        let table = r.table(root, "TCtrValueTable")?;
        for (field, what) in [(1, "IndexHashRaw"), (2, "CTRBlob")] {
            if let Some((data, len)) = r.vector(&table, field, 1, what)? {
                if data + len > end {
                    problems.push(TreeProblem::OutOfRange(format!(
                        "CTR table {k}'s {what} ({len} bytes at offset {data}) runs past the table's end at {end}"
                    )));
                }
                blob_bytes += len;
            }
        }
        at = end;
    }
    out.fact("ctr_tables", count);
    out.fact("ctr_bytes", blob_bytes);
    Ok(at)
}

fn check_trees(
    r: &mut Reader,
    trees: &Table,
    out: &mut Parsed,
    problems: &mut Vec<TreeProblem>,
) -> Result<()> {
    let dimension = r.scalar(trees, 0, 4, "ApproxDimension")?.unwrap_or(0);
    let splits = ints(r, trees, 1, "TreeSplits")?;
    let sizes = ints(r, trees, 2, "TreeSizes")?;
    let starts = ints(r, trees, 3, "TreeStartOffsets")?;
    let leaves = r.vector(trees, 8, 8, "LeafValues")?.map_or(0, |(_, n)| n);
    let steps = r.vector(trees, 10, 4, "NonSymmetricStepNodes")?;
    let leaf_ids = ints(r, trees, 11, "NonSymmetricNodeIdToLeafId")?;
    for (field, name) in [(4, "cat_features"), (5, "float_features")] {
        if let Some((_, n)) = r.vector(trees, field, 4, name)? {
            out.fact(name, n);
        }
    }
    out.fact("trees", sizes.len());
    out.fact("approx_dimension", dimension);
    out.fact("leaf_values", leaves);

    let total: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
    if total != splits.len() as u64 {
        problems.push(TreeProblem::Malformed(format!(
            "the tree sizes add up to {total} splits, but the model has {}",
            splits.len()
        )));
    }
    if starts.len() != sizes.len() {
        problems.push(TreeProblem::Malformed(format!(
            "{} tree start offsets for {} trees",
            starts.len(),
            sizes.len()
        )));
    }
    let mut expected_start = 0u64;
    for (i, (&start, &size)) in starts.iter().zip(&sizes).enumerate() {
        let (start, size) = (u64::from(start), u64::from(size));
        if start + size > splits.len() as u64 {
            problems.push(TreeProblem::OutOfRange(format!(
                "tree {i} starts at split {start} with {size} splits, past the model's {} splits",
                splits.len()
            )));
            return Ok(());
        }
        if start != expected_start {
            problems.push(TreeProblem::Malformed(format!(
                "tree {i} starts at split {start}, where the trees before it end at {expected_start}"
            )));
        }
        expected_start = start + size;
    }

    match steps {
        None | Some((_, 0)) => {
            // Symmetric trees: one split per level, 2^depth leaves per dimension.
            let mut needed = 0u64;
            for (i, &depth) in sizes.iter().enumerate() {
                if u64::from(depth) > MAX_SYMMETRIC_DEPTH {
                    problems.push(TreeProblem::OutOfRange(format!(
                        "symmetric tree {i} has depth {depth} (CatBoost builds at most {MAX_SYMMETRIC_DEPTH})"
                    )));
                    return Ok(());
                }
                needed += 1u64 << depth;
            }
            let needed = needed.saturating_mul(dimension);
            if needed != leaves {
                problems.push(TreeProblem::OutOfRange(format!(
                    "the symmetric trees need {needed} leaf values, the model has {leaves}"
                )));
            }
        }
        Some((data, count)) => {
            if count != splits.len() as u64 {
                problems.push(TreeProblem::Malformed(format!(
                    "{count} step nodes for {} splits",
                    splits.len()
                )));
                return Ok(());
            }
            let bytes = r.bytes(data, count as usize * 4, "NonSymmetricStepNodes")?;
            for (i, (&start, &size)) in starts.iter().zip(&sizes).enumerate() {
                let end = u64::from(start) + u64::from(size);
                for node in u64::from(start)..end {
                    let at = node as usize * 4;
                    let left = u64::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
                    let right = u64::from(u16::from_le_bytes([bytes[at + 2], bytes[at + 3]]));
                    for diff in [left, right] {
                        if diff != 0 && node + diff >= end {
                            problems.push(TreeProblem::OutOfRange(format!(
                                "node {node} of tree {i} steps {diff} nodes ahead, past the tree's end at {end}"
                            )));
                            return Ok(());
                        }
                    }
                }
            }
            // The map holds offsets into LeafValues (u32::MAX for inner nodes).
            if let Some((node, &id)) = leaf_ids
                .iter()
                .enumerate()
                .find(|(_, &id)| id != u32::MAX && u64::from(id) >= leaves)
            {
                problems.push(TreeProblem::OutOfRange(format!(
                    "node {node} maps to leaf {id}, past the model's {leaves} leaf values"
                )));
            }
        }
    }
    Ok(())
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Catboost,
    role: crate::format::Role::Model,
    access: crate::format::Access::RandomAccess,
    head: |b, _| {
        b.starts_with(MAGIC)
            .then_some(crate::format::Evidence::Magic)
    },
    tail: None,
    claimed_by: &["cbm"],
    exclusive_names: &["cbm"],
    parse: crate::format::Parser::RandomAccess(check_catboost_into),
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/formats/gbdt");
        std::fs::read(dir.join(name)).unwrap()
    }

    fn check(data: &[u8]) -> Parsed {
        let mut p = Parsed::default();
        check_catboost_into(&data.to_vec(), &mut p);
        p
    }

    #[test]
    fn models_catboost_wrote_are_complete_and_clean() {
        for name in ["catboost_classifier.cbm", "catboost_depthwise.cbm"] {
            let p = check(&fixture(name));
            assert!(
                p.findings.is_empty() && p.incomplete.is_none(),
                "{name}: {p:?}"
            );
        }
        let p = check(&fixture("catboost_classifier.cbm"));
        assert_eq!(p.facts["trees"], 3);
        assert_eq!(p.facts["leaf_values"], 12);
        let p = check(&fixture("catboost_categorical.cbm"));
        assert!(p.findings.is_empty() && p.incomplete.is_none(), "{p:?}");
        assert_eq!(p.facts["ctr_tables"], 1);
        assert!(!p.facts.contains_key("trailing_bytes"));
    }

    #[test]
    fn crafted_trees_are_findings() {
        let rules_of = |p: &Parsed| p.findings.iter().map(|f| f.rule).collect::<Vec<_>>();
        let p = check(&fixture("catboost_tree_depth_wrong.cbm"));
        assert_eq!(rules_of(&p), ["MV1101", "MV1101", "MV1102"]);
        let p = check(&fixture("catboost_step_out_of_tree.cbm"));
        assert_eq!(rules_of(&p), ["MV1102"]);
    }

    #[test]
    fn cut_and_flipped_models_never_panic() {
        for name in [
            "catboost_classifier.cbm",
            "catboost_depthwise.cbm",
            "catboost_categorical.cbm",
        ] {
            let data = fixture(name);
            for end in (0..data.len()).step_by(3) {
                let p = check(&data[..end]);
                assert!(
                    p.incomplete.is_some() || !p.findings.is_empty(),
                    "{name} cut at {end}"
                );
            }
            let mut copy = data.clone();
            for pos in (0..data.len()).step_by(2) {
                for mask in [0xFF, 0x01, 0x80] {
                    copy[pos] ^= mask;
                    let _ = check(&copy);
                    copy[pos] ^= mask;
                }
            }
        }
    }
}
