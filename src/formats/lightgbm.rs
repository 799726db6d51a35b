//! LightGBM text models (`Booster.save_model`, `model.txt`). The format holds data only;
//! LightGBM's parser trusts it, and indexes its node arrays with the child, leaf and
//! feature numbers the file gives (LightGBM issue #7357: out-of-bounds writes and reads on
//! load and predict). So every tree is checked against its own size and the model's
//! feature count, and each tree block's byte length against `tree_sizes`, which LightGBM
//! uses to cut the text into trees.
//!
//! Read line by line with constant memory: values are streamed and reduced to counts and
//! ranges; only `tree_sizes` is kept, up to [`limits::MAX_TREE_MODEL_TREES`] entries.

use crate::findings::Finding;
use crate::format::Parsed;
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// Longest key or value token read (numbers and names of this format are far shorter).
const MAX_TOKEN: usize = 128;

#[derive(Debug)]
enum Stop {
    Malformed(String),
    Limit(LimitHit),
}

/// Count and integer range of one line of values.
#[derive(Debug, Default, Clone, Copy)]
struct Values {
    count: u64,
    integers: u64,
    min: i64,
    max: i64,
    /// A value was not an integer.
    non_integer: bool,
}

impl Values {
    fn add(&mut self, token: &[u8]) -> Option<i64> {
        self.count += 1;
        let Some(i) = std::str::from_utf8(token)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
        else {
            self.non_integer = true;
            return None;
        };
        if self.integers == 0 {
            (self.min, self.max) = (i, i);
        } else {
            self.min = self.min.min(i);
            self.max = self.max.max(i);
        }
        self.integers += 1;
        Some(i)
    }
}

#[derive(Debug, Default)]
struct Tree {
    index: u64,
    start: u64,
    num_leaves: Option<i64>,
    num_cat: Option<i64>,
    split_feature: Values,
    left_child: Values,
    right_child: Values,
    leaf_value: Values,
    split_gain: Values,
    threshold: Values,
    decision_type: Values,
    cat_boundaries: Values,
    cat_boundaries_last: Option<i64>,
    cat_boundaries_decreasing: bool,
    cat_threshold: Values,
}

struct Reader<'s, R: SkipRead> {
    stream: &'s mut ByteStream<R>,
}

impl<R: SkipRead> Reader<'_, R> {
    /// The key of the next line (up to `=`, `:` or the end of the line) and the byte that
    /// ended it (`b'\n'` for a line without `=`); `None` at the end of the file.
    fn key(&mut self) -> Result<Option<(Vec<u8>, u8)>, Stop> {
        let mut key = Vec::new();
        loop {
            let buf = self.stream.fill(1);
            let Some(&b) = buf.first() else {
                return Ok((!key.is_empty()).then_some((key, b'\n')));
            };
            self.stream.consume(1);
            match b {
                b'=' | b':' | b'\n' => return Ok(Some((key, b))),
                b'\r' => {}
                _ if key.len() >= MAX_TOKEN => {
                    return Err(Stop::Malformed(format!(
                        "a line starts with more than {MAX_TOKEN} bytes before `=`"
                    )))
                }
                _ => key.push(b),
            }
        }
    }

    /// The next space-separated value of the current line; `None` at its end.
    fn value(&mut self) -> Result<Option<Vec<u8>>, Stop> {
        let mut token = Vec::new();
        loop {
            let buf = self.stream.fill(1);
            let Some(&b) = buf.first() else {
                return Ok((!token.is_empty()).then_some(token));
            };
            match b {
                b'\n' => {
                    if token.is_empty() {
                        self.stream.consume(1);
                        return Ok(None);
                    }
                    return Ok(Some(token));
                }
                b' ' | b'\r' | b'\t' => {
                    self.stream.consume(1);
                    if !token.is_empty() {
                        return Ok(Some(token));
                    }
                }
                _ => {
                    if token.len() >= MAX_TOKEN {
                        return Err(Stop::Malformed(format!(
                            "a value longer than {MAX_TOKEN} bytes"
                        )));
                    }
                    token.push(b);
                    self.stream.consume(1);
                }
            }
        }
    }

    /// Every value of the current line, reduced to count and integer range.
    fn values(&mut self) -> Result<Values, Stop> {
        let mut v = Values::default();
        while let Some(token) = self.value()? {
            v.add(&token);
        }
        Ok(v)
    }

    /// The single value of the current line, as text (cut to [`MAX_TOKEN`]).
    fn text(&mut self) -> Result<String, Stop> {
        let mut parts = Vec::new();
        while let Some(token) = self.value()? {
            if parts.len() < 8 {
                parts.push(String::from_utf8_lossy(&token).into_owned());
            }
        }
        Ok(parts.join(" "))
    }

    fn integer(&mut self, key: &str) -> Result<i64, Stop> {
        let v = self.values()?;
        if v.count != 1 || v.non_integer {
            return Err(Stop::Malformed(format!("`{key}` is not one integer")));
        }
        Ok(v.min)
    }

    fn skip_line(&mut self) {
        self.stream.read_line(0);
    }
}

#[derive(Default)]
struct Model {
    version: Option<String>,
    objective: Option<String>,
    num_class: Option<i64>,
    max_feature_idx: Option<i64>,
    feature_names: Option<u64>,
    tree_sizes: Option<Vec<u64>>,
    trees: u64,
    linear_trees: u64,
    malformed: Vec<String>,
    out_of_range: Vec<String>,
}

impl Model {
    fn end_tree(&mut self, tree: Tree, end: u64) {
        let i = tree.index;
        if tree.index != self.trees {
            self.malformed.push(format!(
                "tree block {} is numbered Tree={}",
                self.trees, tree.index
            ));
        }
        self.trees += 1;
        if let Some(sizes) = &self.tree_sizes {
            match sizes.get(self.trees as usize - 1) {
                Some(&size) if size != end - tree.start => self.malformed.push(format!(
                    "tree {i} is {} bytes long, tree_sizes says {size}: LightGBM cuts the \
                     trees by tree_sizes",
                    end - tree.start
                )),
                None => self
                    .malformed
                    .push(format!("tree {i} is not counted in tree_sizes")),
                _ => {}
            }
        }
        let Some(leaves) = tree.num_leaves else {
            self.malformed.push(format!("tree {i} has no num_leaves"));
            return;
        };
        if leaves < 1 {
            self.malformed
                .push(format!("tree {i} declares {leaves} leaves"));
            return;
        }
        let internal = (leaves - 1) as u64;
        if tree.leaf_value.count != leaves as u64 {
            self.malformed.push(format!(
                "tree {i}: leaf_value has {} entries for {leaves} leaves",
                tree.leaf_value.count
            ));
        }
        if leaves > 1 {
            for (name, v) in [
                ("split_feature", tree.split_feature),
                ("split_gain", tree.split_gain),
                ("threshold", tree.threshold),
                ("decision_type", tree.decision_type),
                ("left_child", tree.left_child),
                ("right_child", tree.right_child),
            ] {
                if v.count != internal {
                    self.malformed.push(format!(
                        "tree {i}: {name} has {} entries for {internal} split nodes",
                        v.count
                    ));
                }
            }
            for (name, v) in [
                ("split_feature", tree.split_feature),
                ("left_child", tree.left_child),
                ("right_child", tree.right_child),
                ("decision_type", tree.decision_type),
            ] {
                if v.non_integer {
                    self.malformed
                        .push(format!("tree {i}: {name} holds a value that is no integer"));
                }
            }
            // A child is a split node (0 ..= leaves-2) or a leaf written as !leaf
            // (-1 ..= -leaves).
            for (name, v) in [
                ("left_child", tree.left_child),
                ("right_child", tree.right_child),
            ] {
                if v.count > 0 && !v.non_integer && (v.min < -leaves || v.max > leaves - 2) {
                    let bad = if v.min < -leaves { v.min } else { v.max };
                    self.out_of_range.push(format!(
                        "tree {i}: {name} holds {bad} in a tree of {leaves} leaves"
                    ));
                }
            }
            let f = tree.split_feature;
            if f.count > 0 && !f.non_integer {
                let over = self.max_feature_idx.is_some_and(|m| f.max > m);
                if f.min < 0 || over {
                    let bad = if f.min < 0 { f.min } else { f.max };
                    self.out_of_range.push(format!(
                        "tree {i}: split_feature holds {bad}; the model's max_feature_idx is {}",
                        self.max_feature_idx.unwrap_or(-1)
                    ));
                }
            }
        }
        let cats = tree.num_cat.unwrap_or(0);
        if cats < 0 {
            self.malformed
                .push(format!("tree {i} declares {cats} categorical splits"));
        } else if cats > 0 {
            let b = tree.cat_boundaries;
            if b.count != cats as u64 + 1 {
                self.malformed.push(format!(
                    "tree {i}: cat_boundaries has {} entries for {cats} categorical splits",
                    b.count
                ));
            }
            let ends_right = tree.cat_boundaries_last == Some(tree.cat_threshold.count as i64);
            if b.non_integer || b.min != 0 || tree.cat_boundaries_decreasing || !ends_right {
                self.out_of_range.push(format!(
                    "tree {i}: cat_boundaries do not run from 0 up to the {} cat_threshold words",
                    tree.cat_threshold.count
                ));
            }
        }
    }

    fn finish(mut self, out: &mut Parsed, saw_end: bool) {
        if let Some(v) = &self.version {
            out.fact("lightgbm_model_version", v);
        }
        if let Some(o) = &self.objective {
            out.fact("objective", o);
        }
        if let Some(n) = self.num_class {
            out.fact("num_class", n);
        }
        if let Some(m) = self.max_feature_idx {
            out.fact("num_feature", m + 1);
        }
        out.fact("trees", self.trees);
        if self.linear_trees > 0 {
            out.fact("linear_trees", self.linear_trees);
        }
        if let (Some(names), Some(m)) = (self.feature_names, self.max_feature_idx) {
            if names != (m + 1) as u64 {
                self.malformed
                    .push(format!("{names} feature names for max_feature_idx {m}"));
            }
        }
        if let Some(sizes) = &self.tree_sizes {
            if sizes.len() as u64 > self.trees && saw_end {
                self.malformed.push(format!(
                    "tree_sizes lists {} trees, the model holds {}",
                    sizes.len(),
                    self.trees
                ));
            }
        }
        if saw_end && self.max_feature_idx.is_none() {
            self.malformed
                .push("the model has no max_feature_idx".into());
        }
        for m in self.malformed {
            out.push(Finding::new(&rules::TREE_MODEL_MALFORMED, m));
        }
        for m in self.out_of_range {
            out.push(Finding::new(&rules::TREE_MODEL_INDEX_OUT_OF_RANGE, m));
        }
    }
}

fn walk<R: SkipRead>(r: &mut Reader<'_, R>, m: &mut Model) -> Result<bool, Stop> {
    let mut tree: Option<Tree> = None;
    loop {
        let line_start = r.stream.position();
        let Some((key, delim)) = r.key()? else {
            if let Some(t) = tree.take() {
                m.end_tree(t, line_start);
            }
            return Ok(false);
        };
        let key = String::from_utf8_lossy(&key).into_owned();
        if delim == b'\n' {
            match key.as_str() {
                "end of trees" => {
                    if let Some(t) = tree.take() {
                        m.end_tree(t, line_start);
                    }
                    return trailer(r);
                }
                _ => continue,
            }
        }
        if key == "Tree" {
            if let Some(t) = tree.take() {
                m.end_tree(t, line_start);
            }
            let index = r.integer("Tree")?;
            tree = Some(Tree {
                index: u64::try_from(index).unwrap_or(u64::MAX),
                start: line_start,
                ..Tree::default()
            });
            continue;
        }
        let Some(t) = tree.as_mut() else {
            match key.as_str() {
                "version" => m.version = Some(r.text()?),
                "objective" => m.objective = Some(r.text()?),
                "num_class" => m.num_class = Some(r.integer(&key)?),
                "max_feature_idx" => m.max_feature_idx = Some(r.integer(&key)?),
                "feature_names" => m.feature_names = Some(r.values()?.count),
                "tree_sizes" => {
                    let mut sizes = Vec::new();
                    while let Some(token) = r.value()? {
                        if sizes.len() >= limits::MAX_TREE_MODEL_TREES {
                            return Err(Stop::Limit(LimitHit::TreeModelTrees));
                        }
                        let size = std::str::from_utf8(&token)
                            .ok()
                            .and_then(|s| s.parse::<u64>().ok())
                            .ok_or_else(|| {
                                Stop::Malformed("tree_sizes holds a value that is no size".into())
                            })?;
                        sizes.push(size);
                    }
                    m.tree_sizes = Some(sizes);
                }
                _ => r.skip_line(),
            }
            continue;
        };
        match key.as_str() {
            "num_leaves" => t.num_leaves = Some(r.integer(&key)?),
            "num_cat" => t.num_cat = Some(r.integer(&key)?),
            "split_feature" => t.split_feature = r.values()?,
            "split_gain" => t.split_gain = r.values()?,
            "threshold" => t.threshold = r.values()?,
            "decision_type" => t.decision_type = r.values()?,
            "left_child" => t.left_child = r.values()?,
            "right_child" => t.right_child = r.values()?,
            "leaf_value" => t.leaf_value = r.values()?,
            "cat_threshold" => t.cat_threshold = r.values()?,
            "cat_boundaries" => {
                // Read value by value: the boundaries must never decrease.
                let mut v = Values::default();
                let mut last: Option<i64> = None;
                while let Some(token) = r.value()? {
                    if let Some(b) = v.add(&token) {
                        if last.is_some_and(|l| b < l) {
                            t.cat_boundaries_decreasing = true;
                        }
                        last = Some(b);
                    }
                }
                t.cat_boundaries = v;
                t.cat_boundaries_last = last;
            }
            "is_linear" => {
                if r.integer(&key)? != 0 {
                    m.linear_trees += 1;
                }
            }
            _ => r.skip_line(),
        }
    }
}

/// After the trees: feature importances, then the training parameters, which LightGBM
/// writes last (`end of parameters`, and from Python a `pandas_categorical:` line). A file
/// that ends before `end of parameters` was cut.
fn trailer<R: SkipRead>(r: &mut Reader<'_, R>) -> Result<bool, Stop> {
    let mut ended = false;
    loop {
        let line = r.stream.read_line(MAX_TOKEN);
        if line.len == 0 && !line.terminated {
            return Ok(ended);
        }
        let text = line.bytes.strip_suffix(b"\r").unwrap_or(&line.bytes);
        if text == b"end of parameters" {
            ended = true;
        } else if text.starts_with(b"pandas_categorical:") && !line.terminated {
            // Python ends this line (JSON of the categories) with a newline.
            return Ok(false);
        } else if ended && !text.is_empty() && !text.starts_with(b"pandas_categorical:") {
            return Err(Stop::Malformed(
                "text after the parameters that LightGBM does not write".into(),
            ));
        }
    }
}

/// Checks a LightGBM text model from the stream's current position to its end.
pub(crate) fn scan_lightgbm<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut out = Parsed::default();
    scan_into(stream, &mut out);
    out
}

fn scan_into<R: SkipRead>(stream: &mut ByteStream<R>, out: &mut Parsed) {
    let mut model = Model::default();
    let mut reader = Reader { stream };
    let walked = walk(&mut reader, &mut model);
    let at = reader.stream.position();
    match walked {
        Ok(true) => model.finish(out, true),
        Ok(false) => {
            model.finish(out, false);
            out.incomplete(
                "truncated LightGBM model: the file ends before `end of parameters`".to_string(),
            );
        }
        Err(Stop::Malformed(why)) => {
            model.finish(out, false);
            out.push(Finding::new(&rules::TREE_MODEL_MALFORMED, why.clone()).offset(at));
            out.incomplete(format!(
                "LightGBM model not understood past byte {at}: {why}"
            ));
        }
        Err(Stop::Limit(hit)) => {
            model.finish(out, false);
            out.limit(hit);
        }
    }
}

fn parse(
    stream: &mut crate::format::DynStream<'_>,
    _: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    scan_into(stream, out)
}

/// `tree\nversion=v…`: how LightGBM starts every text model.
fn looks_like_model(b: &[u8]) -> bool {
    let b = b
        .strip_prefix(b"tree\n")
        .or_else(|| b.strip_prefix(b"tree\r\n"));
    b.is_some_and(|rest| rest.starts_with(b"version=v"))
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Lightgbm,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_model(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &[],
    exclusive_names: &[],
    parse: crate::format::Parser::Stream(parse),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn model(trees: &[&str]) -> Vec<u8> {
        let sizes: Vec<String> = trees.iter().map(|t| t.len().to_string()).collect();
        let mut m = format!(
            "tree\nversion=v4\nnum_class=1\nmax_feature_idx=1\nfeature_names=a b\ntree_sizes={}\n\n",
            sizes.join(" ")
        );
        for t in trees {
            m.push_str(t);
        }
        m.push_str("end of trees\n\nparameters:\n[boosting: gbdt]\nend of parameters\n");
        m.into_bytes()
    }

    const SPLIT: &str = "Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=1\nsplit_gain=1\nthreshold=0.5\ndecision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=0.1 0.2\nshrinkage=1\n\n\n";
    const STUMP: &str = "Tree=1\nnum_leaves=1\nnum_cat=0\nleaf_value=0.3\nshrinkage=1\n\n\n";

    fn scan(bytes: &[u8]) -> Parsed {
        scan_lightgbm(&mut ByteStream::new(bytes))
    }

    #[test]
    fn a_well_formed_model_with_a_single_leaf_tree_is_quiet() {
        let p = scan(&model(&[SPLIT, STUMP]));
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert!(p.incomplete.is_none(), "{:?}", p.incomplete);
        assert_eq!(p.facts["trees"], 2);
        let crlf = String::from_utf8(model(&[SPLIT]))
            .unwrap()
            .replace('\n', "\r\n");
        let p = scan(crlf.replace("tree_sizes=", "x=").as_bytes());
        assert!(p.findings.is_empty(), "{:?}", p.findings);
    }

    #[test]
    fn indices_outside_the_tree_are_findings() {
        for (field, bad) in [
            ("left_child=-1", "left_child=-3"),
            ("right_child=-2", "right_child=1"),
            ("split_feature=1", "split_feature=2"),
        ] {
            let tree = SPLIT.replace(field, bad);
            let p = scan(&model(&[&tree]));
            assert!(
                p.findings.iter().any(|f| f.rule == "MV1102"),
                "{bad}: {:?}",
                p.findings
            );
        }
        let tree = SPLIT.replace("leaf_value=0.1 0.2", "leaf_value=0.1");
        let p = scan(&model(&[&tree]));
        assert!(
            p.findings.iter().any(|f| f.rule == "MV1101"),
            "{:?}",
            p.findings
        );
    }

    #[test]
    fn an_overlong_token_stops_the_walk_without_reading_it_all() {
        let mut m = model(&[SPLIT]);
        let at = m.windows(11).position(|w| w == b"leaf_value=").unwrap() + 11;
        m.splice(at..at, std::iter::repeat_n(b'9', 10_000));
        let p = scan(&m);
        assert!(p.findings.iter().any(|f| f.rule == "MV1101"));
        assert!(p.incomplete.is_some());
    }
}
