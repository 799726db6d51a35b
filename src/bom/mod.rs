//! AI-BOM export. [`build`] turns a scan report (plus a verification, plus what the Hub
//! published) into the neutral [`model::Bom`]; [`cyclonedx`] renders it; [`integrity`]
//! checks the rendered references before anything is written (of the BOM, and of the
//! VEX document that carries its findings alone); [`completeness`] says
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

/// Renders the findings as a VEX document for the rendered BOM `bom_json`, and checks that
/// every statement points by BOM-Link at a component of that BOM.
pub fn render_vex(
    bom: &model::Bom,
    spec: SpecVersion,
    bom_json: &str,
) -> Result<String, Vec<String>> {
    let main: serde_json::Value = serde_json::from_str(bom_json)
        .map_err(|e| vec![format!("rendered BOM is not JSON: {e}")])?;
    let serial = main["serialNumber"].as_str().unwrap_or_default();
    let vex = cyclonedx::render_vex(bom, spec, serial);
    let doc: serde_json::Value =
        serde_json::from_str(&vex).map_err(|e| vec![format!("rendered VEX is not JSON: {e}")])?;
    let problems = integrity::check_vex(&doc, &main);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(vex)
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
