//! AI-BOM export. [`build`] turns a scan report (plus a verification, plus what the Hub
//! published) into the neutral [`model::Bom`]; [`cyclonedx`] renders it as CycloneDX and
//! [`spdx`] as SPDX 3.0.1; [`integrity`]
//! checks the rendered references before anything is written (of the BOM, and of the
//! VEX document that carries its findings alone); [`completeness`] says
//! which required elements are present and which are missing.

pub mod application;
pub mod build;
pub mod completeness;
pub mod cyclonedx;
pub mod integrity;
pub mod language;
pub mod model;
pub mod spdx;
pub mod time;

pub use build::{build, BomInput, HubFile};
pub use cyclonedx::SpecVersion;

/// A bom-ref as part of an IRI (a BOM-Link fragment, an SPDX element id): unreserved
/// characters and `:@/?!$&'()*+,;=` stay, everything else (spaces, `#`, `%`, non-ASCII)
/// is percent-encoded.
pub(crate) fn iri_component(bom_ref: &str) -> String {
    let mut out = String::with_capacity(bom_ref.len());
    for b in bom_ref.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@/?!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

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

/// Renders an application's BOM from its inventory and checks its references.
pub fn render_application(
    inv: &crate::inventory::Inventory,
    root: &str,
    name: &str,
    created: i64,
    spec: SpecVersion,
) -> Result<String, Vec<String>> {
    let json = application::render(inv, root, name, created, spec.as_str());
    let doc: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| vec![format!("rendered BOM is not JSON: {e}")])?;
    let problems = integrity::check(&doc);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(json)
}

/// Renders the BOM as SPDX 3.0.1 JSON-LD and checks its references.
pub fn render_spdx(bom: &model::Bom) -> Result<Rendered, Vec<String>> {
    let json = spdx::render(bom);
    let doc: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| vec![format!("rendered SPDX is not JSON: {e}")])?;
    let problems = integrity::check_spdx(&doc);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rendered {
        json,
        completeness: completeness::assess(bom),
    })
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

#[cfg(test)]
mod tests {
    #[test]
    fn iri_components_escape_what_an_iri_cannot_hold() {
        assert_eq!(
            super::iri_component("model:m/model.safetensors"),
            "model:m/model.safetensors"
        );
        assert_eq!(
            super::iri_component("file:a b#c%d/é"),
            "file:a%20b%23c%25d/%C3%A9"
        );
    }
}
