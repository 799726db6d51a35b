//! AI-BOM export. [`build`] turns a scan report (plus a verification, plus what the Hub
//! published) into the neutral [`model::Bom`]; [`cyclonedx`] renders it; [`integrity`]
//! checks the rendered references before anything is written; [`completeness`] says
//! which required elements are present and which are missing.

pub mod build;
pub mod completeness;
pub mod cyclonedx;
pub mod integrity;
pub mod language;
pub mod model;
pub mod time;

pub use build::{build, BomInput, HubFile};
pub use cyclonedx::SpecVersion;

/// A rendered BOM that passed the integrity check.
pub struct Rendered {
    pub json: String,
    pub completeness: Vec<completeness::ProfileResult>,
}

/// Renders and checks. An integrity failure is a bug in modelvet: the caller exits 3.
pub fn render(bom: &model::Bom, spec: SpecVersion) -> Result<Rendered, Vec<String>> {
    let json = cyclonedx::render(bom, spec);
    let doc: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| vec![format!("rendered BOM is not JSON: {e}")])?;
    let problems = integrity::check(&doc);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rendered {
        json,
        completeness: completeness::assess(bom),
    })
}
