//! Every SPDX id `modelvet::license` can emit is in the SPDX list CycloneDX validates
//! against: the enumeration of `spdx.schema.json` shipped in the `cyclonedx-python-lib`
//! package (as `spdx.SNAPSHOT.schema.json` or `spdx.schema.json`). Runs when
//! `MODELVET_PYTHON` names a Python with that package (scripts/test.sh sets it to the
//! test venv); skipped with a message when unset, and failing when set but unusable.

use std::collections::BTreeSet;
use std::process::Command;

use modelvet::license::{all_spdx_ids, hub_ids, resolve, LicenseRef};

const LIST_SPDX_IDS: &str = r#"
import json, pathlib, sys
import cyclonedx
res = pathlib.Path(cyclonedx.__file__).parent / "schema" / "_res"
schemas = sorted(res.glob("spdx*.schema.json"))
if not schemas:
    sys.exit("no spdx schema under " + str(res))
for sid in json.loads(schemas[0].read_text(encoding="utf-8"))["enum"]:
    print(sid)
"#;

#[test]
fn every_emitted_spdx_id_is_in_cyclonedx_spdx_schema() {
    let Some(python) = std::env::var_os("MODELVET_PYTHON") else {
        eprintln!("skipped: MODELVET_PYTHON unset (scripts/test.sh sets it to the test venv)");
        return;
    };
    let out = Command::new(python)
        .args(["-c", LIST_SPDX_IDS])
        .output()
        .expect("MODELVET_PYTHON runs");
    assert!(
        out.status.success(),
        "listing CycloneDX's SPDX ids failed (is cyclonedx-python-lib installed?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let known: BTreeSet<String> = String::from_utf8(out.stdout)
        .expect("UTF-8 ids")
        .lines()
        .map(str::to_string)
        .collect();
    assert!(known.len() > 500, "only {} SPDX ids listed", known.len());
    let emitted = all_spdx_ids();
    let missing: Vec<_> = emitted.iter().filter(|id| !known.contains(**id)).collect();
    assert!(missing.is_empty(), "not SPDX ids: {missing:?}");
    // Every id resolve() returns for a Hub value is among them too.
    for hub in hub_ids() {
        if let Some(LicenseRef::Spdx(id)) = resolve(hub, None, None) {
            assert!(emitted.contains(&id), "{hub} -> {id} not in all_spdx_ids()");
        }
    }
}
