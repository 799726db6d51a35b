//! Facts from a Hugging Face model card (`README.md`): the YAML front matter keys a BOM
//! uses, the evaluation results of its `model-index`, and the text of a fixed set of
//! sections (limitations, intended uses, ...). The card is text to read, never to
//! render or follow; every value is as written or left out.
//!
//! Facts (all optional):
//! - `model_card`: object with the front-matter keys of [`CARD_KEYS`], values as read.
//! - `model_card_warnings`: list of strings, what was left out or cut.
//! - `eval_results`: list of objects flattened from `model-index[*].results[*].metrics[*]`.
//! - `model_card_sections`: object, section key to its markdown text; `lead` is the
//!   text between the card's title (its first `#` heading) and the next heading.
//! - `model_card_sections_truncated`: list of the section keys cut at [`MAX_SECTION_BYTES`].

use serde_json::{Map, Value};

use crate::formats::{yaml, Parsed};

/// Front-matter keys copied into the `model_card` fact.
pub(crate) const CARD_KEYS: &[&str] = &[
    "license",
    "license_name",
    "license_link",
    "datasets",
    "base_model",
    "base_model_relation",
    "language",
    "library_name",
    "pipeline_tag",
    "tags",
    "model_name",
    "metrics",
    "co2_eq_emissions",
];
/// Keys kept from an object-valued `co2_eq_emissions`.
const CO2_KEYS: &[&str] = &[
    "emissions",
    "source",
    "training_type",
    "geographical_location",
    "hardware_used",
];
/// Most entries in `eval_results`.
pub(crate) const MAX_EVAL_RESULTS: usize = 256;
/// Longest section text kept (cut at a character boundary; the key is then listed in
/// `model_card_sections_truncated`).
pub(crate) const MAX_SECTION_BYTES: usize = 4096;
/// Most lines of the card body scanned for sections.
pub(crate) const MAX_CARD_LINES: usize = 20_000;
/// Most bytes of the card body scanned for sections.
pub(crate) const MAX_CARD_BODY_BYTES: usize = 1024 * 1024;
/// Most raw bytes collected for one section before comments are removed.
const MAX_SECTION_RAW_BYTES: usize = 64 * 1024;
/// Most matching headings whose sections are examined.
const MAX_SECTION_CANDIDATES: usize = 256;

/// Section headings and the keys they fill. Headings are compared case-insensitively
/// after removing `#` marks, emphasis (`*`, `_`, `` ` ``) around the title, a leading
/// number (`1.`, `2.3`, `4)`) and a trailing colon. One heading can fill two keys.
/// When several headings fill one key, the first one with real content wins.
pub(crate) const SECTION_HEADINGS: &[(&str, &[&str])] = &[
    ("limitations", &["limitations"]),
    (
        "bias, risks, and limitations",
        &["limitations", "ethical_considerations"],
    ),
    ("risks and limitations", &["limitations"]),
    ("known limitations", &["limitations"]),
    ("intended uses", &["intended_uses"]),
    ("intended use", &["intended_uses"]),
    ("uses", &["intended_uses"]),
    ("direct use", &["intended_uses"]),
    ("intended uses & limitations", &["intended_uses"]),
    ("out-of-scope use", &["out_of_scope"]),
    ("out-of-scope uses", &["out_of_scope"]),
    ("ethical considerations", &["ethical_considerations"]),
    ("ethics", &["ethical_considerations"]),
    ("bias", &["ethical_considerations"]),
    ("environmental impact", &["environmental_impact"]),
    ("carbon emissions", &["environmental_impact"]),
    ("training data", &["training_data"]),
    // Headings of the card transformers' Trainer writes.
    ("training and evaluation data", &["training_data"]),
    ("training procedure", &["training_procedure"]),
    ("training hyperparameters", &["training_hyperparameters"]),
    ("framework versions", &["framework_versions"]),
    ("model description", &["description"]),
    // huggingface_hub's template: "### Model Sources [optional]" with Repository, Paper
    // and Demo links.
    ("model sources", &["sources"]),
    ("model sources [optional]", &["sources"]),
    ("compute infrastructure", &["compute"]),
    ("hardware", &["compute"]),
    ("evaluation", &["evaluation"]),
    ("evaluation results", &["evaluation"]),
    ("results", &["evaluation"]),
    ("recommendations", &["recommendations"]),
];

/// Lines of Hugging Face's card templates that stand for missing content (lower case,
/// without a final period).
const PLACEHOLDERS: &[&str] = &["[more information needed]", "more information needed"];
/// Starts of the default sentences of `huggingface_hub`'s `modelcard_template.md`.
const TEMPLATE_SENTENCES: &[&str] = &[
    "this is the model card of a 🤗 transformers model that has been pushed on the hub",
    "this modelcard aims to be a base template for new models",
    "users (both direct and downstream) should be made aware of the risks, biases and limitations of the model",
    "carbon emissions can be estimated using the [machine learning impact calculator]",
];

/// Records the card's facts. A card without front matter records no `model_card`.
pub(crate) fn inspect(text: &[u8], p: &mut Parsed) {
    let mut warnings = Vec::new();
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            warnings.push(format!(
                "README.md is not UTF-8 after byte {}; the rest is not read",
                e.valid_up_to()
            ));
            // The prefix up to `valid_up_to` is valid UTF-8.
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default()
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body) = split_front_matter(text, &mut warnings);
    if let Some(front) = front {
        let y = yaml::parse(front);
        warnings.extend(y.warnings.into_iter().map(|w| format!("front matter {w}")));
        match y.value {
            Some(Value::Object(map)) => {
                let card = card_keys(&map);
                if !card.is_empty() {
                    p.fact(crate::facts::MODEL_CARD, card);
                }
                let results = eval_results(map.get("model-index"), &mut warnings);
                if !results.is_empty() {
                    p.fact(crate::facts::EVAL_RESULTS, results);
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => warnings.push("front matter is not a mapping; not read".into()),
        }
    }
    let (sections, truncated) = sections(body, &mut warnings);
    if !sections.is_empty() {
        p.fact(crate::facts::MODEL_CARD_SECTIONS, sections);
    }
    if !truncated.is_empty() {
        p.fact("model_card_sections_truncated", truncated);
    }
    if !warnings.is_empty() {
        p.fact("model_card_warnings", warnings);
    }
}

/// The front matter (between a first line `---` and the next `---` line) and the body
/// after it. Without front matter, the whole text is the body.
fn split_front_matter<'t>(text: &'t str, warnings: &mut Vec<String>) -> (Option<&'t str>, &'t str) {
    let Some(first_end) = text.find('\n') else {
        return (None, text);
    };
    if text[..first_end].trim_end() != "---" {
        return (None, text);
    }
    let rest = &text[first_end + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    warnings.push("front matter has no closing `---` line; not read".into());
    (None, text)
}

fn card_keys(map: &Map<String, Value>) -> Map<String, Value> {
    let mut card = Map::new();
    for key in CARD_KEYS {
        let value = match map.get(*key) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(o)) if *key == "co2_eq_emissions" => Value::Object(
                o.iter()
                    .filter(|(k, v)| CO2_KEYS.contains(&k.as_str()) && !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            Some(v) => v.clone(),
        };
        card.insert((*key).to_string(), value);
    }
    card
}

/// `model-index: - name; results: - task {type, name}; dataset {type, name, config,
/// split}; metrics: - {type, value, name, verified}; source {name, url}`, one entry per
/// metric. A metric
/// without a number or string `value` is skipped; string fields that are not strings
/// are left out.
fn eval_results(index: Option<&Value>, warnings: &mut Vec<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(models) = index.and_then(Value::as_array) else {
        return out;
    };
    let text = |v: Option<&Value>, key: &str| {
        v.and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .map(|s| Value::String(s.to_string()))
    };
    for model in models {
        let results = model.get("results").and_then(Value::as_array);
        for result in results.into_iter().flatten() {
            let task = result.get("task");
            let dataset = result.get("dataset");
            let metrics = result.get("metrics").and_then(Value::as_array);
            for metric in metrics.into_iter().flatten() {
                let value = match metric.get("value") {
                    Some(v @ (Value::Number(_) | Value::String(_))) => v.clone(),
                    _ => continue,
                };
                if out.len() >= MAX_EVAL_RESULTS {
                    warnings.push(format!(
                        "model-index has more than MAX_EVAL_RESULTS ({MAX_EVAL_RESULTS}) metrics; eval_results cut"
                    ));
                    return out;
                }
                let mut e = Map::new();
                let fields = [
                    ("model_name", text(Some(model), "name")),
                    ("task_type", text(task, "type")),
                    ("task_name", text(task, "name")),
                    ("dataset_type", text(dataset, "type")),
                    ("dataset_name", text(dataset, "name")),
                    ("dataset_split", text(dataset, "split")),
                    ("dataset_config", text(dataset, "config")),
                    ("metric_type", text(Some(metric), "type")),
                    ("metric_name", text(Some(metric), "name")),
                    ("source_name", text(result.get("source"), "name")),
                    ("source_url", text(result.get("source"), "url")),
                    ("value", Some(value)),
                    (
                        "verified",
                        metric.get("verified").filter(|v| v.is_boolean()).cloned(),
                    ),
                ];
                for (k, v) in fields {
                    if let Some(v) = v {
                        e.insert(k.into(), v);
                    }
                }
                out.push(Value::Object(e));
            }
        }
    }
    out
}

/// An ATX heading (`## Title ##`, up to three spaces before): its level and title.
fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    let level = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let mut title = rest.trim();
    // A closing sequence of `#`s after a space is not part of the title.
    let stripped = title.trim_end_matches('#');
    if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        title = stripped.trim_end();
    }
    Some((level, title))
}

/// A heading title reduced for comparison with [`SECTION_HEADINGS`].
fn normalize_heading(title: &str) -> String {
    let mut t = title.trim().trim_matches(['*', '_', '`']).trim();
    // A leading number: `1.`, `2.3`, `4)`, `5.1.`.
    let numbered = t
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == ')'))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    // A bare number ("2023 Results") is not numbering: it needs a `.` or `)`.
    if numbered > 0
        && t.as_bytes()[0].is_ascii_digit()
        && t[..numbered].contains(['.', ')'])
        && t[numbered..].starts_with([' ', '\t'])
    {
        t = t[numbered..].trim_start();
    }
    let t = t.trim_matches(['*', '_', '`']).trim();
    let t = t.strip_suffix(':').unwrap_or(t).trim_end();
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn section_keys(title: &str) -> &'static [&'static str] {
    let n = normalize_heading(title);
    SECTION_HEADINGS
        .iter()
        .find(|(h, _)| *h == n)
        .map_or(&[], |(_, keys)| keys)
}

/// A fence line (```` ``` ```` or `~~~`, up to three spaces before): its character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    let c = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|&x| x == c).count();
    (n >= 3).then_some((c, n))
}

/// Removes `<!-- ... -->` comments (an unclosed one runs to the end).
fn strip_html_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// A line of template filler: a placeholder, a template's default sentence, or a
/// template field left at its placeholder (`- **Hardware Type:** [More Information Needed]`).
fn is_filler_line(t: &str) -> bool {
    let lower = t.to_lowercase();
    let lower = lower.strip_suffix('.').unwrap_or(&lower);
    PLACEHOLDERS.contains(&lower)
        || TEMPLATE_SENTENCES.iter().any(|s| lower.starts_with(s))
        || (lower.ends_with(PLACEHOLDERS[0]) && lower.starts_with(['-', '*']))
}

/// Only headings, blank lines and template filler: nothing a reader learns from.
fn is_placeholder(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || atx_heading(t).is_some() || is_filler_line(t)
    })
}

fn cut(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// The text under each heading of [`SECTION_HEADINGS`], until the next heading of the
/// same or a higher level or the next heading that is itself in the table. Headings
/// inside fenced code blocks don't count.
fn sections(body: &str, warnings: &mut Vec<String>) -> (Map<String, Value>, Vec<String>) {
    let (body, body_cut) = cut(body, MAX_CARD_BODY_BYTES);
    if body_cut {
        warnings.push(format!(
            "model card body longer than MAX_CARD_BODY_BYTES ({MAX_CARD_BODY_BYTES}); the rest is not scanned for sections"
        ));
    }
    let mut lines: Vec<&str> = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if i == MAX_CARD_LINES {
            warnings.push(format!(
                "model card body longer than MAX_CARD_LINES ({MAX_CARD_LINES}); the rest is not scanned for sections"
            ));
            break;
        }
        lines.push(line);
    }
    // Headings outside fenced code: (line index, level, title).
    let mut headings = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some((c, n)) = open {
            if let Some((c2, n2)) = fence(line) {
                let after = line.trim_start().trim_start_matches(c2);
                if c2 == c && n2 >= n && after.trim().is_empty() {
                    open = None;
                }
            }
            continue;
        }
        if let Some(f) = fence(line) {
            open = Some(f);
            continue;
        }
        if let Some((level, title)) = atx_heading(line) {
            headings.push((i, level, title));
        }
    }
    let mut out = Map::new();
    let mut truncated = Vec::new();
    // The lead: what a card says of its model under its title, before any section.
    let start = match headings.first() {
        Some(&(i, 1, title)) if section_keys(title).is_empty() => i + 1,
        _ => 0,
    };
    {
        let end = headings
            .iter()
            .find(|&&(i, _, _)| i >= start)
            .map_or(lines.len(), |&(i, _, _)| i);
        let mut raw = String::new();
        for line in &lines[start..end] {
            if raw.len() + line.len() + 1 > MAX_SECTION_RAW_BYTES {
                break;
            }
            raw.push_str(line);
            raw.push('\n');
        }
        let text = strip_html_comments(&raw);
        let text = text.trim();
        if !is_placeholder(text) {
            let (kept, was_cut) = cut(text, MAX_SECTION_BYTES);
            out.insert("lead".into(), Value::String(kept.to_string()));
            if was_cut {
                truncated.push("lead".into());
            }
        }
    }
    let mut candidates = 0;
    for (h, &(start, level, title)) in headings.iter().enumerate() {
        let keys = section_keys(title);
        if keys.iter().all(|k| out.contains_key(*k)) {
            continue;
        }
        candidates += 1;
        if candidates > MAX_SECTION_CANDIDATES {
            warnings.push(format!(
                "more than {MAX_SECTION_CANDIDATES} matching section headings; the rest are not read"
            ));
            break;
        }
        // A subsection that is a section of its own ("### Out-of-Scope Use" under
        // "## Uses", "### Recommendations" under "## Bias, Risks, and Limitations") ends
        // its parent's text; other subsections belong to it.
        let end = headings[h + 1..]
            .iter()
            .find(|&&(_, l, t)| l <= level || !section_keys(t).is_empty())
            .map_or(lines.len(), |&(i, _, _)| i);
        let mut raw = String::new();
        let mut raw_cut = false;
        for line in &lines[start + 1..end] {
            if raw.len() + line.len() + 1 > MAX_SECTION_RAW_BYTES {
                raw_cut = true;
                break;
            }
            raw.push_str(line);
            raw.push('\n');
        }
        let text = strip_html_comments(&raw);
        let text = text.trim();
        if is_placeholder(text) {
            continue;
        }
        let (kept, was_cut) = cut(text, MAX_SECTION_BYTES);
        for key in keys {
            if out.contains_key(*key) {
                continue;
            }
            out.insert((*key).to_string(), Value::String(kept.to_string()));
            if was_cut || raw_cut {
                truncated.push((*key).to_string());
            }
        }
    }
    (out, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str) -> Parsed {
        let mut p = Parsed::default();
        inspect(text.as_bytes(), &mut p);
        p
    }

    #[test]
    fn a_subsection_that_is_a_section_ends_its_parent() {
        let p = run(
            "# m\n## Uses\n### Direct Use\nA\n### Downstream Use\nA2\n### Out-of-Scope Use\nB\n\
             ## Bias, Risks, and Limitations\nC\n### Recommendations\nD\n\
             ## Training Data\nE\n### Preprocessing\nE2\n",
        );
        let s = &p.facts["model_card_sections"];
        assert_eq!(
            s["intended_uses"], "A",
            "Downstream Use is a section of its own"
        );
        assert_eq!(s["out_of_scope"], "B");
        assert_eq!(s["limitations"], "C");
        assert_eq!(s["recommendations"], "D");
        // A subsection that is not a section of its own stays with its parent.
        assert_eq!(s["training_data"], "E\n### Preprocessing\nE2");
    }

    const LLAMA_CARD: &str = "---
language:
- en
license: llama3
license_name: llama3
license_link: LICENSE
pipeline_tag: text-generation
base_model:
- meta-llama/Meta-Llama-3-8B
- mistralai/Mistral-7B-v0.1
base_model_relation: merge
extra_gated_prompt: >-
  ### META LLAMA 3 COMMUNITY LICENSE AGREEMENT

  Meta Llama 3 Version Release Date: April 18, 2024
extra_gated_fields:
  First Name: text
  Country: country
widget:
  - text: hello
datasets: [HuggingFaceH4/ultrachat_200k, allenai/c4]
metrics: [accuracy]
co2_eq_emissions:
  emissions: 2290
  source: ML CO2 Impact
  training_type: pre-training
  hardware_used: H100-80GB
  extra: dropped
model-index:
- name: Llama-3-8B-Instruct
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: MMLU (5-Shot)
      type: cais/mmlu
      config: all
      split: test
    metrics:
    - type: acc
      value: 68.4
      name: accuracy
      verified: false
    - type: f1
      value: '71.0'
    - type: broken
      value: [1, 2]
  - task: {type: text-generation}
    dataset: {name: GSM8k, type: gsm8k}
    metrics: [{type: acc, value: 79.6}]
---

# Llama 3

## Intended Use

**Intended Use Cases** Llama 3 is intended for commercial and research use in English.

```markdown
## Limitations
this heading is inside a code block
```

### Out-of-Scope Use

Use in any manner that violates applicable laws.

## Hardware and Software

## Ethical Considerations and Limitations

Not in the table (only exact synonyms count).

## 3. Bias, Risks, and Limitations:

<!-- This section is meant to convey both technical and sociotechnical limitations. -->

Llama 3 may produce inaccurate responses.

## Environmental Impact

[More Information Needed]

## Training Data

<!-- template comment -->

[More Information Needed]
";

    #[test]
    fn llama_card_facts() {
        let p = run(LLAMA_CARD);
        let card = &p.facts["model_card"];
        assert_eq!(card["license"], "llama3");
        assert_eq!(card["license_name"], "llama3");
        assert_eq!(card["license_link"], "LICENSE");
        assert_eq!(
            card["base_model"],
            json!(["meta-llama/Meta-Llama-3-8B", "mistralai/Mistral-7B-v0.1"])
        );
        assert_eq!(card["base_model_relation"], "merge");
        assert_eq!(
            card["datasets"],
            json!(["HuggingFaceH4/ultrachat_200k", "allenai/c4"])
        );
        assert_eq!(card["metrics"], json!(["accuracy"]));
        assert_eq!(
            card["co2_eq_emissions"],
            json!({"emissions": 2290, "source": "ML CO2 Impact", "training_type": "pre-training", "hardware_used": "H100-80GB"})
        );
        for absent in [
            "extra_gated_prompt",
            "extra_gated_fields",
            "widget",
            "model-index",
        ] {
            assert!(card.get(absent).is_none(), "{absent}");
        }
        assert_eq!(
            p.facts["eval_results"],
            json!([
                {"model_name": "Llama-3-8B-Instruct", "task_type": "text-generation",
                 "task_name": "Text Generation", "dataset_type": "cais/mmlu",
                 "dataset_name": "MMLU (5-Shot)", "dataset_split": "test", "dataset_config": "all",
                 "metric_type": "acc", "metric_name": "accuracy", "value": 68.4, "verified": false},
                {"model_name": "Llama-3-8B-Instruct", "task_type": "text-generation",
                 "task_name": "Text Generation", "dataset_type": "cais/mmlu",
                 "dataset_name": "MMLU (5-Shot)", "dataset_split": "test", "dataset_config": "all",
                 "metric_type": "f1", "value": "71.0"},
                {"model_name": "Llama-3-8B-Instruct", "task_type": "text-generation",
                 "dataset_type": "gsm8k", "dataset_name": "GSM8k", "metric_type": "acc", "value": 79.6}
            ])
        );
        let s = &p.facts["model_card_sections"];
        assert!(s["intended_uses"]
            .as_str()
            .unwrap()
            .starts_with("**Intended Use Cases** Llama 3"));
        // The code block heading did not end the section; the subsection is inside it.
        assert!(s["intended_uses"]
            .as_str()
            .unwrap()
            .contains("inside a code block"));
        assert_eq!(
            s["out_of_scope"],
            "Use in any manner that violates applicable laws."
        );
        assert_eq!(
            s["limitations"],
            "Llama 3 may produce inaccurate responses."
        );
        assert_eq!(
            s["ethical_considerations"],
            "Llama 3 may produce inaccurate responses."
        );
        // Template filler only: left out.
        assert!(s.get("environmental_impact").is_none());
        assert!(s.get("training_data").is_none());
        assert_eq!(s.as_object().unwrap().len(), 4);
        assert!(p.facts.get("model_card_warnings").is_none());
        assert!(p.facts.get("model_card_sections_truncated").is_none());
    }

    #[test]
    fn bert_card_and_trainer_card() {
        let p = run("---\nlanguage: en\ntags:\n- exbert\nlicense: apache-2.0\ndatasets:\n- bookcorpus\n- wikipedia\n---\n\n# BERT base model (uncased)\n\n## Intended uses & limitations\n\nYou can use the raw model for masked language modeling.\n\n### Limitations and bias\n\nEven if the training data used for this model could be characterized as fairly neutral, this model can have biased predictions.\n\n## Training data\n\nThe BERT model was pretrained on BookCorpus.\n\n## Evaluation results\n\n| Task | MNLI |\n|:----:|:----:|\n|      | 84.6 |\n");
        assert_eq!(
            p.facts["model_card"],
            json!({"language": "en", "tags": ["exbert"], "license": "apache-2.0", "datasets": ["bookcorpus", "wikipedia"]})
        );
        let s = &p.facts["model_card_sections"];
        assert!(s["intended_uses"]
            .as_str()
            .unwrap()
            .contains("### Limitations and bias"));
        assert_eq!(
            s["training_data"],
            "The BERT model was pretrained on BookCorpus."
        );
        assert!(s["evaluation"].as_str().unwrap().ends_with("84.6 |"));
        assert!(s.get("limitations").is_none());
        assert!(p.facts.get("eval_results").is_none());
        // A Trainer-generated card: "More information needed" is filler too.
        let p = run("---\nlicense: mit\n---\n## Intended uses & limitations\n\nMore information needed\n\n## Training and evaluation data\n\nMore information needed\n");
        assert!(p.facts.get("model_card_sections").is_none());
        assert_eq!(p.facts["model_card"], json!({"license": "mit"}));
    }

    #[test]
    fn huggingface_hub_template_defaults_are_filler() {
        // modelcard_template.md rendered with its defaults (abridged): no section has content.
        let p = run("---\nlicense: mit\n---\n# Model Card for Model ID\n\n# Uses\n\n<!-- Address questions. -->\n\n## Direct Use\n\n[More Information Needed]\n\n## Out-of-Scope Use\n\n<!-- misuse -->\n\n[More Information Needed]\n\n# Bias, Risks, and Limitations\n\n[More Information Needed]\n\n## Recommendations\n\n<!-- recommendations -->\n\nUsers (both direct and downstream) should be made aware of the risks, biases and limitations of the model. More information needed for further recommendations.\n\n# Training Details\n\n## Training Data\n\n[More Information Needed]\n\n# Evaluation\n\n## Testing Data, Factors & Metrics\n\n### Testing Data\n\n[More Information Needed]\n\n## Results\n\n[More Information Needed]\n\n# Environmental Impact\n\nCarbon emissions can be estimated using the [Machine Learning Impact calculator](https://mlco2.github.io/impact#compute) presented in [Lacoste et al. (2019)](https://arxiv.org/abs/1910.09700).\n\n- **Hardware Type:** [More Information Needed]\n- **Hours used:** [More Information Needed]\n");
        assert!(
            p.facts.get("model_card_sections").is_none(),
            "{:?}",
            p.facts
        );
        // The same card with one real field keeps that section, filler and all.
        let p = run("# Environmental Impact\n\nCarbon emissions can be estimated using the [Machine Learning Impact calculator](https://mlco2.github.io/impact#compute).\n\n- **Hardware Type:** 8 x A100\n- **Hours used:** [More Information Needed]\n");
        let s = p.facts["model_card_sections"]["environmental_impact"]
            .as_str()
            .unwrap();
        assert!(s.contains("8 x A100") && s.contains("Hours used"));
    }

    #[test]
    fn the_lead_is_the_text_under_the_title_and_sources_are_a_section() {
        let p = run("---\nlicense: mit\n---\n# tiny\n\nA tiny model.\n<!-- note -->\n\n## Model Details\n\n### Model Sources [optional]\n\n- **Repository:** https://github.com/x/y\n- **Demo [optional]:** [More Information Needed]\n");
        let s = &p.facts["model_card_sections"];
        assert_eq!(s["lead"], "A tiny model.");
        assert!(s["sources"]
            .as_str()
            .unwrap()
            .contains("https://github.com/x/y"));
        // No title: the text before the first section; a title that is a section: none.
        let p = run("Plain words.\n\n## Limitations\n\nMany.\n");
        assert_eq!(p.facts["model_card_sections"]["lead"], "Plain words.");
        let p = run("# Limitations\n\nMany.\n");
        assert!(p.facts["model_card_sections"].get("lead").is_none());
        // The template's own lead sentence is filler.
        let p = run("# Model Card for Model ID\n\nThis modelcard aims to be a base template for new models. It has been generated using [this raw template](https://x).\n\n## Uses\n\nx\n");
        assert!(p.facts["model_card_sections"].get("lead").is_none());
    }

    #[test]
    fn no_front_matter_records_no_card() {
        let p = run("# no front matter\n\nlicense: mit\n");
        assert!(p.facts.get("model_card").is_none(), "{:?}", p.facts);
        assert_eq!(p.facts["model_card_sections"]["lead"], "license: mit");
        let p = run("---\nlicense: mit\n");
        assert!(p.facts.get("model_card").is_none());
        assert!(p.facts["model_card_warnings"][0]
            .as_str()
            .unwrap()
            .contains("no closing"));
    }

    #[test]
    fn yaml_warnings_become_a_fact() {
        let p = run("---\nlicense: &l mit\nlicense_name: x\n---\n");
        assert_eq!(p.facts["model_card"], json!({"license_name": "x"}));
        let w = p.facts["model_card_warnings"].as_array().unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].as_str().unwrap().contains("anchors"));
        let p = run("---\n- a list\n---\n");
        assert!(p.facts.get("model_card").is_none());
        assert!(p.facts["model_card_warnings"][0]
            .as_str()
            .unwrap()
            .contains("not a mapping"));
    }

    #[test]
    fn bounds_cut_and_say_so() {
        let long = "word ".repeat(2000);
        let p = run(&format!("## Limitations\n\n{long}\n\n## Uses\n\nshort é\n"));
        let s = &p.facts["model_card_sections"];
        assert!(s["limitations"].as_str().unwrap().len() <= MAX_SECTION_BYTES);
        assert_eq!(
            p.facts["model_card_sections_truncated"],
            json!(["limitations"])
        );
        assert_eq!(s["intended_uses"], "short é");
        let mut index = String::from("---\nmodel-index:\n- name: m\n  results:\n  - metrics:\n");
        for i in 0..(MAX_EVAL_RESULTS + 5) {
            index.push_str(&format!("    - {{type: m{i}, value: {i}}}\n"));
        }
        index.push_str("---\n");
        let p = run(&index);
        assert_eq!(
            p.facts["eval_results"].as_array().unwrap().len(),
            MAX_EVAL_RESULTS
        );
        assert!(p.facts["model_card_warnings"][0]
            .as_str()
            .unwrap()
            .contains("MAX_EVAL_RESULTS"));
        let p = run(&"x\n".repeat(MAX_CARD_LINES + 1));
        assert!(p.facts["model_card_warnings"][0]
            .as_str()
            .unwrap()
            .contains("MAX_CARD_LINES"));
        let p = run("---\nlicense: mit\n---\n\u{0}\u{ff}");
        assert_eq!(p.facts["model_card"], json!({"license": "mit"}));
        let mut bad = b"---\nlicense: mit\n---\nok\n".to_vec();
        bad.push(0xff);
        let mut q = Parsed::default();
        inspect(&bad, &mut q);
        assert_eq!(q.facts["model_card"], json!({"license": "mit"}));
        assert!(q.facts["model_card_warnings"][0]
            .as_str()
            .unwrap()
            .contains("not UTF-8"));
    }

    #[test]
    fn heading_normalisation() {
        for (title, keys) in [
            ("Limitations", &["limitations"][..]),
            ("**Known Limitations:**", &["limitations"]),
            ("4.2 Recommendations", &["recommendations"]),
            ("1) Carbon   Emissions", &["environmental_impact"]),
            ("Results ##", &["evaluation"]),
            ("Ethics", &["ethical_considerations"]),
        ] {
            let line = format!("## {title}");
            let (_, t) = atx_heading(&line).unwrap();
            assert_eq!(section_keys(t), keys, "{title}");
        }
        for title in [
            "Limitations of scope",
            "Model Details",
            "2023 Results",
            "#hashtag",
        ] {
            assert!(section_keys(title).is_empty(), "{title}");
        }
        assert!(atx_heading("#hashtag").is_none());
        assert!(atx_heading("    ## indented code").is_none());
        assert!(atx_heading("####### seven").is_none());
    }

    #[test]
    fn mutated_cards_never_panic() {
        // Deterministic mutations of a real-shaped card with YAML- and markdown-significant
        // bytes: every result must come back (facts or warnings), never a panic.
        const BYTES: &[u8] = b" \t\n-:#'\"[]{},|>&*!?%@`\\~0.e\xc3\xa9\xff";
        let mut next = crate::source::xorshift();
        for _ in 0..3000 {
            let mut bytes = LLAMA_CARD.as_bytes().to_vec();
            for _ in 0..(1 + next() % 8) {
                let at = (next() % bytes.len() as u64) as usize;
                let b = BYTES[(next() % BYTES.len() as u64) as usize];
                match next() % 3 {
                    0 => bytes[at] = b,
                    1 => bytes.insert(at, b),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let mut p = Parsed::default();
            inspect(&bytes, &mut p);
        }
    }
}
