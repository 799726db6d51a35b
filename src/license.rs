//! Licences of Hugging Face model cards as SPDX ids or named licences.
//!
//! A card's `license:` is one of the Hub's licence identifiers (lower case, e.g.
//! `apache-2.0`, `llama3`, `other`). [`resolve`] maps it to the case-correct SPDX id
//! where, and only where, SPDX has an identifier for exactly that licence; licence
//! families without a version (`bsd`, `gpl`, `lgpl`, `cc`, `gfdl`, `openrail`) and
//! licences SPDX does not list (`llama3`, `gemma`, ...) become [`LicenseRef::Named`].
//! Nothing is guessed: `unknown` or an empty value is no licence at all.
//!
//! Choices made here:
//! - `gpl-2.0`, `gpl-3.0`, `lgpl-2.1`, `lgpl-3.0`, `agpl-3.0` map to the SPDX ids of the
//!   same spelling (`GPL-2.0`, ...). SPDX has deprecated them in favour of `-only` and
//!   `-or-later`, but the Hub's ids do not say which of the two is meant, and the
//!   deprecated ids are still valid in CycloneDX's SPDX enumeration.
//! - `c-uda`, `odc-by`, `odbl` and `pddl` carry no version on the Hub while their SPDX
//!   ids do (`C-UDA-1.0`, `ODC-By-1.0`, `ODbL-1.0`, `PDDL-1.0`); they stay named.
//! - A card's `license_link` is used only for `other` and unknown ids, and only when it
//!   is an absolute `http(s)` URL (cards often link a relative `LICENSE` file, which
//!   means nothing outside the repository).
//!
//! Every SPDX id emitted is listed by [`all_spdx_ids`] and checked against CycloneDX's
//! `spdx.schema.json` by `tests/license_ids.rs`.

/// A licence as a BOM can state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseRef {
    /// An SPDX licence id, case-correct.
    Spdx(&'static str),
    /// A licence SPDX has no id for: its name and, when certain, its URL.
    Named { name: String, url: Option<String> },
}

enum Target {
    Spdx(&'static str),
    Named(&'static str, Option<&'static str>),
}

use Target::{Named, Spdx};

/// The Hub's licence identifiers (https://huggingface.co/docs/hub/repositories-licenses).
/// Names are the licences' own titles; where unsure, the Hub id itself stands as the name.
const HUB_LICENSES: &[(&str, Target)] = &[
    ("apache-2.0", Spdx("Apache-2.0")),
    ("mit", Spdx("MIT")),
    ("openrail", Named("OpenRAIL license family", None)),
    ("openrail++", Named("openrail++", None)),
    (
        "bigscience-openrail-m",
        Named("BigScience OpenRAIL-M", None),
    ),
    (
        "creativeml-openrail-m",
        Named("CreativeML OpenRAIL-M", None),
    ),
    (
        "bigscience-bloom-rail-1.0",
        Named("BigScience BLOOM RAIL 1.0", None),
    ),
    ("bigcode-openrail-m", Named("BigCode Open RAIL-M v1", None)),
    ("afl-3.0", Spdx("AFL-3.0")),
    ("artistic-2.0", Spdx("Artistic-2.0")),
    ("bsl-1.0", Spdx("BSL-1.0")),
    ("bsd", Named("BSD license family", None)),
    ("bsd-2-clause", Spdx("BSD-2-Clause")),
    ("bsd-3-clause", Spdx("BSD-3-Clause")),
    ("bsd-3-clause-clear", Spdx("BSD-3-Clause-Clear")),
    ("c-uda", Named("Computational Use of Data Agreement", None)),
    ("cc", Named("Creative Commons license family", None)),
    ("cc0-1.0", Spdx("CC0-1.0")),
    ("cc-by-2.0", Spdx("CC-BY-2.0")),
    ("cc-by-2.5", Spdx("CC-BY-2.5")),
    ("cc-by-3.0", Spdx("CC-BY-3.0")),
    ("cc-by-4.0", Spdx("CC-BY-4.0")),
    ("cc-by-sa-3.0", Spdx("CC-BY-SA-3.0")),
    ("cc-by-sa-4.0", Spdx("CC-BY-SA-4.0")),
    ("cc-by-nc-2.0", Spdx("CC-BY-NC-2.0")),
    ("cc-by-nc-3.0", Spdx("CC-BY-NC-3.0")),
    ("cc-by-nc-4.0", Spdx("CC-BY-NC-4.0")),
    ("cc-by-nd-4.0", Spdx("CC-BY-ND-4.0")),
    ("cc-by-nc-nd-3.0", Spdx("CC-BY-NC-ND-3.0")),
    ("cc-by-nc-nd-4.0", Spdx("CC-BY-NC-ND-4.0")),
    ("cc-by-nc-sa-2.0", Spdx("CC-BY-NC-SA-2.0")),
    ("cc-by-nc-sa-3.0", Spdx("CC-BY-NC-SA-3.0")),
    ("cc-by-nc-sa-4.0", Spdx("CC-BY-NC-SA-4.0")),
    ("cdla-sharing-1.0", Spdx("CDLA-Sharing-1.0")),
    ("cdla-permissive-1.0", Spdx("CDLA-Permissive-1.0")),
    ("cdla-permissive-2.0", Spdx("CDLA-Permissive-2.0")),
    ("wtfpl", Spdx("WTFPL")),
    ("ecl-2.0", Spdx("ECL-2.0")),
    ("epl-1.0", Spdx("EPL-1.0")),
    ("epl-2.0", Spdx("EPL-2.0")),
    ("etalab-2.0", Spdx("etalab-2.0")),
    ("eupl-1.1", Spdx("EUPL-1.1")),
    ("eupl-1.2", Spdx("EUPL-1.2")),
    ("agpl-3.0", Spdx("AGPL-3.0")),
    ("gfdl", Named("GNU Free Documentation License family", None)),
    ("gpl", Named("GNU General Public License family", None)),
    ("gpl-2.0", Spdx("GPL-2.0")),
    ("gpl-3.0", Spdx("GPL-3.0")),
    (
        "lgpl",
        Named("GNU Lesser General Public License family", None),
    ),
    ("lgpl-2.1", Spdx("LGPL-2.1")),
    ("lgpl-3.0", Spdx("LGPL-3.0")),
    ("isc", Spdx("ISC")),
    ("h-research", Named("h-research", None)),
    ("intel-research", Named("intel-research", None)),
    ("lppl-1.3c", Spdx("LPPL-1.3c")),
    ("ms-pl", Spdx("MS-PL")),
    ("apple-ascl", Named("Apple Sample Code License", None)),
    ("apple-amlr", Named("apple-amlr", None)),
    ("mpl-2.0", Spdx("MPL-2.0")),
    (
        "odc-by",
        Named("Open Data Commons Attribution License", None),
    ),
    ("odbl", Named("Open Database License", None)),
    ("openmdw-1.0", Spdx("OpenMDW-1.0")),
    ("osl-3.0", Spdx("OSL-3.0")),
    ("postgresql", Spdx("PostgreSQL")),
    ("ofl-1.1", Spdx("OFL-1.1")),
    ("ncsa", Spdx("NCSA")),
    ("unlicense", Spdx("Unlicense")),
    ("zlib", Spdx("Zlib")),
    (
        "pddl",
        Named(
            "Open Data Commons Public Domain Dedication and License",
            None,
        ),
    ),
    ("lgpl-lr", Spdx("LGPLLR")),
    (
        "deepfloyd-if-license",
        Named("DeepFloyd IF Research License Agreement", None),
    ),
    (
        "fair-noncommercial-research-license",
        Named("FAIR Noncommercial Research License", None),
    ),
    ("llama2", Named("Llama 2 Community License Agreement", None)),
    (
        "llama3",
        Named("Meta Llama 3 Community License Agreement", None),
    ),
    (
        "llama3.1",
        Named("Llama 3.1 Community License Agreement", None),
    ),
    (
        "llama3.2",
        Named("Llama 3.2 Community License Agreement", None),
    ),
    (
        "llama3.3",
        Named("Llama 3.3 Community License Agreement", None),
    ),
    ("llama4", Named("Llama 4 Community License Agreement", None)),
    (
        "gemma",
        Named(
            "Gemma Terms of Use",
            Some("https://ai.google.dev/gemma/terms"),
        ),
    ),
];

/// SPDX ids a card may give directly that no Hub id maps to; accepted in any case.
const MORE_SPDX_IDS: &[&str] = &[
    "0BSD",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "BSD-1-Clause",
    "C-UDA-1.0",
    "CC-BY-SA-2.0",
    "CC-BY-ND-3.0",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT-0",
    "MPL-1.1",
    "ODbL-1.0",
    "ODC-By-1.0",
    "PDDL-1.0",
];

/// Every SPDX id [`resolve`] can return, sorted.
pub fn all_spdx_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = HUB_LICENSES
        .iter()
        .filter_map(|(_, t)| match t {
            Spdx(id) => Some(*id),
            Named(..) => None,
        })
        .chain(MORE_SPDX_IDS.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The Hub's licence ids, in the Hub's spelling.
pub fn hub_ids() -> impl Iterator<Item = &'static str> {
    HUB_LICENSES.iter().map(|(id, _)| *id)
}

fn absolute_url(link: Option<&str>) -> Option<String> {
    let link = link?.trim();
    let lower = link.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    (!rest.is_empty() && !link.chars().any(char::is_whitespace)).then(|| link.to_string())
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The licence a card states. `license` is the card's `license:` value; `name` and
/// `link` are its `license_name` and `license_link`, used for `other` and for ids
/// neither the Hub nor [`all_spdx_ids`] knows. `None` for `unknown` or an empty value:
/// a missing licence is never invented.
pub fn resolve(license: &str, name: Option<&str>, link: Option<&str>) -> Option<LicenseRef> {
    let license = license.trim();
    let lower = license.to_ascii_lowercase();
    if lower.is_empty() || lower == "unknown" {
        return None;
    }
    if let Some((_, target)) = HUB_LICENSES.iter().find(|(id, _)| *id == lower) {
        return Some(match target {
            Spdx(id) => LicenseRef::Spdx(id),
            Named(n, url) => LicenseRef::Named {
                name: (*n).to_string(),
                url: url.map(str::to_string),
            },
        });
    }
    if let Some(id) = all_spdx_ids()
        .into_iter()
        .find(|id| id.eq_ignore_ascii_case(license))
    {
        return Some(LicenseRef::Spdx(id));
    }
    Some(LicenseRef::Named {
        name: non_empty(name).unwrap_or(license).to_string(),
        url: absolute_url(link),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, url: Option<&str>) -> Option<LicenseRef> {
        Some(LicenseRef::Named {
            name: name.into(),
            url: url.map(Into::into),
        })
    }

    #[test]
    fn hub_ids_map_to_case_correct_spdx_ids() {
        assert_eq!(
            resolve("apache-2.0", None, None),
            Some(LicenseRef::Spdx("Apache-2.0"))
        );
        assert_eq!(resolve("mit", None, None), Some(LicenseRef::Spdx("MIT")));
        assert_eq!(
            resolve("etalab-2.0", None, None),
            Some(LicenseRef::Spdx("etalab-2.0"))
        );
        assert_eq!(
            resolve("lgpl-lr", None, None),
            Some(LicenseRef::Spdx("LGPLLR"))
        );
        assert_eq!(
            resolve("lppl-1.3c", None, None),
            Some(LicenseRef::Spdx("LPPL-1.3c"))
        );
        assert_eq!(
            resolve(" CC-BY-NC-4.0 ", None, None),
            Some(LicenseRef::Spdx("CC-BY-NC-4.0"))
        );
        // Name and link of the card do not override a mapped id.
        assert_eq!(
            resolve("mit", Some("x"), Some("https://x")),
            Some(LicenseRef::Spdx("MIT"))
        );
    }

    #[test]
    fn spdx_ids_given_directly_are_accepted_in_any_case() {
        assert_eq!(
            resolve("Apache-2.0", None, None),
            Some(LicenseRef::Spdx("Apache-2.0"))
        );
        assert_eq!(
            resolve("APACHE-2.0", None, None),
            Some(LicenseRef::Spdx("Apache-2.0"))
        );
        assert_eq!(
            resolve("gpl-3.0-or-later", None, None),
            Some(LicenseRef::Spdx("GPL-3.0-or-later"))
        );
        assert_eq!(
            resolve("odbl-1.0", None, None),
            Some(LicenseRef::Spdx("ODbL-1.0"))
        );
    }

    #[test]
    fn families_and_unversioned_ids_are_not_given_a_version() {
        for id in [
            "bsd", "gpl", "lgpl", "cc", "gfdl", "openrail", "odbl", "odc-by", "pddl", "c-uda",
        ] {
            assert!(
                matches!(
                    resolve(id, None, None),
                    Some(LicenseRef::Named { url: None, .. })
                ),
                "{id}"
            );
        }
        assert_eq!(
            resolve("bsd", None, None),
            named("BSD license family", None)
        );
    }

    #[test]
    fn licences_without_spdx_ids_are_named() {
        assert_eq!(
            resolve("llama3", Some("llama3"), Some("LICENSE")),
            named("Meta Llama 3 Community License Agreement", None)
        );
        assert_eq!(
            resolve("gemma", None, None),
            named(
                "Gemma Terms of Use",
                Some("https://ai.google.dev/gemma/terms")
            )
        );
        assert_eq!(resolve("h-research", None, None), named("h-research", None));
    }

    #[test]
    fn other_and_unknown_strings_use_the_cards_name_and_absolute_link() {
        assert_eq!(
            resolve(
                "other",
                Some("qwen"),
                Some("https://huggingface.co/Qwen/Qwen-7B/blob/main/LICENSE")
            ),
            named(
                "qwen",
                Some("https://huggingface.co/Qwen/Qwen-7B/blob/main/LICENSE")
            )
        );
        assert_eq!(
            resolve("other", None, Some("LICENSE")),
            named("other", None)
        );
        assert_eq!(
            resolve("other", Some("  "), Some("ftp://x")),
            named("other", None)
        );
        assert_eq!(resolve("my-licence", None, None), named("my-licence", None));
        assert_eq!(
            resolve(
                "My-Licence",
                Some("My Licence"),
                Some("http://example.com/l")
            ),
            named("My Licence", Some("http://example.com/l"))
        );
    }

    #[test]
    fn missing_licences_are_none() {
        assert_eq!(resolve("unknown", Some("x"), None), None);
        assert_eq!(resolve("UNKNOWN", None, None), None);
        assert_eq!(resolve("", None, None), None);
        assert_eq!(resolve("   ", Some("name"), Some("https://x")), None);
    }

    /// The Hub's `license:` values (hub-docs, repositories-licenses).
    const HUB_VALUES: &str = "apache-2.0 mit openrail openrail++ bigscience-openrail-m \
        creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 \
        bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 \
        cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 \
        cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 \
        cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 \
        epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl \
        lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr \
        mpl-2.0 odc-by odbl openmdw-1.0 osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl \
        lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 \
        llama3.2 llama3.3 llama4 gemma unknown other";

    #[test]
    fn every_hub_value_is_in_the_table_once() {
        let table: Vec<_> = hub_ids().collect();
        let mut sorted = table.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), table.len());
        for id in HUB_VALUES.split_whitespace() {
            match id {
                "unknown" => assert_eq!(resolve(id, None, None), None),
                "other" => assert_eq!(resolve(id, None, None), named("other", None)),
                _ => assert!(table.contains(&id), "{id} missing from HUB_LICENSES"),
            }
        }
        assert_eq!(table.len() + 2, HUB_VALUES.split_whitespace().count());
        let spdx = all_spdx_ids();
        assert!(spdx.windows(2).all(|w| w[0] < w[1]));
        assert!(spdx.contains(&"Apache-2.0") && spdx.contains(&"GPL-3.0-only"));
    }
}
