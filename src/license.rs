//! Placeholder until the licence mapping lands (replaced by the model-card branch).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseRef {
    Spdx(&'static str),
    Named { name: String, url: Option<String> },
}

pub fn resolve(license: &str, name: Option<&str>, link: Option<&str>) -> Option<LicenseRef> {
    let license = license.trim();
    match license.to_ascii_lowercase().as_str() {
        "" | "unknown" => None,
        "apache-2.0" => Some(LicenseRef::Spdx("Apache-2.0")),
        "mit" => Some(LicenseRef::Spdx("MIT")),
        "other" => name.map(|n| LicenseRef::Named {
            name: n.to_string(),
            url: link.map(str::to_string),
        }),
        _ => Some(LicenseRef::Named {
            name: license.to_string(),
            url: link.map(str::to_string),
        }),
    }
}
