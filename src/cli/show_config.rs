//! `modelvet config`: the configuration a scan from here would use, and where it came
//! from, printed as TOML.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::config;
use crate::scan::scope::DEFAULT_EXCLUDES;

#[derive(clap::Args, Debug)]
pub(super) struct ConfigArgs {
    /// The path a scan would be given: the configuration is found upwards from it.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet],
    /// found upwards from PATH).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    format!("[{}]", quoted.join(", "))
}

pub(super) fn run_config(args: ConfigArgs) -> Result<i32, String> {
    let source = match &args.config {
        Some(p) => Some(p.clone()),
        None => config::discover(&args.path),
    };
    let cfg = match &source {
        Some(p) => config::load(p)?,
        None => config::Config::default(),
    };
    print!("{}", render(&cfg, source.as_deref()));
    Ok(0)
}

fn render(cfg: &config::Config, source: Option<&Path>) -> String {
    let mut out = String::new();
    match source {
        Some(p) => {
            let _ = writeln!(
                out,
                "# from {}",
                crate::display::untrusted(&p.display().to_string())
            );
        }
        None => {
            let _ = writeln!(
                out,
                "# no modelvet.toml or [tool.modelvet] found: built-in defaults"
            );
        }
    }
    let fail_on = match cfg.fail_on {
        Some(Some(s)) => quoted(s.as_str()),
        Some(None) => quoted("none"),
        None => format!("{}  # default", quoted("medium")),
    };
    let _ = writeln!(out, "fail_on = {fail_on}");
    let _ = writeln!(out, "exclude = {}", list(&cfg.exclude));
    let defaults: Vec<String> = DEFAULT_EXCLUDES.iter().map(|d| d.to_string()).collect();
    let _ = writeln!(
        out,
        "# left out of folder walks unless --no-default-excludes: {}",
        list(&defaults)
    );
    let _ = writeln!(
        out,
        "# .gitignore, .ignore and .git/info/exclude apply unless --no-ignore"
    );
    let _ = writeln!(out, "\n[policy]\nallow = {}", list(&cfg.allow));
    let p = &cfg.model_policy;
    let names = |formats: &[crate::format::Format]| -> Vec<String> {
        formats.iter().map(|f| f.name().to_string()).collect()
    };
    let _ = writeln!(out, "deny_formats = {}", list(&names(&p.deny_formats)));
    let _ = writeln!(out, "allow_formats = {}", list(&names(&p.allow_formats)));
    let _ = writeln!(out, "deny_remote_code = {}", p.deny_remote_code);
    let _ = writeln!(out, "allowed_repos = {}", list(&p.allowed_repos));
    let _ = writeln!(
        out,
        "require_pinned_revision = {}",
        p.require_pinned_revision
    );
    let _ = writeln!(out, "licenses_allow = {}", list(&p.licenses_allow));
    let _ = writeln!(out, "licenses_deny = {}", list(&p.licenses_deny));
    if let Some(r) = &p.require_signature {
        use crate::config::SignatureTrust;
        let _ = writeln!(out, "\n[policy.require_signature]");
        match &r.trust {
            SignatureTrust::Key(k) => {
                let _ = writeln!(out, "key = {}", quoted(&k.display().to_string()));
            }
            SignatureTrust::CertificateChain(c) => {
                let _ = writeln!(
                    out,
                    "certificate_chain = {}",
                    quoted(&c.display().to_string())
                );
            }
            SignatureTrust::Identity { identity, issuer } => {
                let _ = writeln!(
                    out,
                    "identity = {}\nissuer = {}",
                    quoted(identity),
                    quoted(issuer)
                );
            }
        }
        let _ = writeln!(out, "signature = {}", quoted(&r.signature));
    }
    let b = &cfg.bom;
    if *b != crate::config::BomOverrides::default() {
        let _ = writeln!(out, "\n[bom]");
        for (key, value) in [
            ("name", &b.name),
            ("version", &b.version),
            ("supplier", &b.supplier),
            ("purl", &b.purl),
            ("release_date", &b.release_date),
        ] {
            if let Some(v) = value {
                let _ = writeln!(out, "{key} = {}", quoted(v));
            }
        }
    }
    let _ = writeln!(out, "\n[rules]");
    for (rule, severity) in &cfg.rule_severities {
        let _ = writeln!(out, "{rule} = {}", quoted(severity.as_str()));
    }
    for e in &cfg.ignores {
        let _ = writeln!(out, "\n[[ignore]]\nrule = {}", quoted(e.rule));
        let _ = writeln!(out, "path = {}", quoted(&e.path));
        if let Some(h) = &e.sha256 {
            let _ = writeln!(out, "sha256 = {}", quoted(h));
        }
        let _ = writeln!(out, "reason = {}", quoted(&e.reason));
        if let Some(d) = &e.expires {
            let _ = writeln!(out, "expires = {}", quoted(d));
        }
    }
    out
}
