//! The command line: parses arguments, calls the library, maps the result to an exit code.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config;
use crate::hub::{vet, HubConfig, RepoRef};
use crate::object_stores;
use crate::report::{self, Gate, Severity, EXIT_USAGE};
use crate::rules;
use crate::scan::scope::ExcludeSet;
use crate::scan::{self, ScanOptions};

pub(crate) mod batch;
mod bom;
mod inventory;
mod provenance;
mod show_config;

const EXIT_CODES: &str = "\
Exit codes:
  0  every input was fully scanned and no finding reached --fail-on
  1  a finding at or above --fail-on (wins over everything else)
  2  no such finding, but something could not be scanned completely
     (unrecognised model file, truncated, over a limit, unreadable member)
  3  usage error, bad configuration, or internal failure";

fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (rules {})",
            env!("CARGO_PKG_VERSION"),
            rules::CATALOG_VERSION
        )
    })
}

#[derive(Parser, Debug)]
#[command(name = "modelvet", version = version(), about = "Tells whether a machine-learning model artifact is safe to load, without loading it.", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan files, directories (recursively) or `-` (standard input).
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Print each file's digest and the model's root digest, as OpenSSF model signing computes them.
    Hash(provenance::HashArgs),
    /// Sign a model with a private key: writes an OMS bundle (model.sig).
    Sign(provenance::SignArgs),
    /// Verify a model: an OMS signature (key, certificate chain, Sigstore keyless),
    /// the Hub's own hashes (--against), or a Hugging Face cache (--hf-cache).
    #[command(after_help = provenance::VERIFY_EXIT_CODES)]
    Verify(provenance::VerifyArgs),
    /// Write a CycloneDX 1.6/1.7 AI-BOM: the model, its files and hashes, its card,
    /// lineage and datasets, the scan's findings, and a signature check when asked.
    #[command(after_help = bom::BOM_EXIT_CODES)]
    Bom(bom::BomArgs),
    /// Check a BOM's signature (`bom --sign-key`): the key, the BOM's exact bytes, and
    /// that the bundle signs this BOM.
    #[command(after_help = provenance::VERIFY_BOM_EXIT_CODES)]
    VerifyBom(provenance::VerifyBomArgs),
    /// List the models, datasets, hosted models and model-loading calls an application's
    /// source uses (Python, configs, scripts, Dockerfiles), with file and line, and scan
    /// the model files in the tree.
    #[command(after_help = inventory::INVENTORY_EXIT_CODES)]
    Inventory(inventory::InventoryArgs),
    /// Print the configuration a scan would use (TOML) and the file it came from.
    Config(show_config::ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), or write one page per command into a folder.
    Man {
        /// Write modelvet.1, modelvet-scan.1, ... into this folder.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// List the rule catalog.
    Rules {
        /// Print the catalog as Markdown (the text of docs/rules.md).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions annotations (`::error file=...::`), then the summary line.
    Github,
    /// One JSON object per artifact, then a summary object.
    Jsonl,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    /// Report only: findings never fail the run (errors still exit 3).
    None,
}

impl FailOn {
    /// The flag, else the configuration's `fail_on`, else medium.
    fn resolve(flag: Option<FailOn>, cfg: &config::Config) -> Gate {
        match flag.map(FailOn::severity).or(cfg.fail_on) {
            Some(Some(s)) => Gate::from(s),
            Some(None) => Gate::NONE,
            None => Gate::default(),
        }
    }

    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files, directories, `-` for standard input, Hub repositories
    /// (`hf://org/name[@rev]`, `hf://datasets/org/name`, `https://huggingface.co/org/name[/tree/rev]`),
    /// or object-store objects and prefixes (`s3://bucket/key`, `gs://...`, `az://container/...`;
    /// S3-compatible servers through `AWS_ENDPOINT_URL`), scanned over HTTP range requests
    /// without downloading them.
    #[arg(
        required_unless_present = "targets_from",
        conflicts_with = "targets_from"
    )]
    paths: Vec<String>,
    /// Scan the targets listed in FILE (`-`: standard input), one per line: a path, an
    /// `hf://` reference or URL. Each is judged as `modelvet scan TARGET` would judge it;
    /// `--format jsonl` writes one record per target as it finishes. Blank lines and lines
    /// starting with `#` are skipped; a target listed twice is scanned once.
    #[arg(long, value_name = "FILE")]
    targets_from: Option<String>,
    /// With --targets-from: skip the targets OUT.jsonl already records, and append the
    /// records of the others to it (a record cut short by a crash is dropped and redone).
    #[arg(
        long,
        value_name = "OUT.jsonl",
        requires = "targets_from",
        conflicts_with = "output"
    )]
    resume: Option<PathBuf>,
    /// With --targets-from: targets scanned at once [default: the number of CPUs, at
    /// most 16]. Each local target scans its files in parallel too; each remote one keeps
    /// its own bounded pool of range requests.
    #[arg(long, value_name = "N", requires = "targets_from")]
    jobs: Option<usize>,
    /// Reuse verdicts by content: a file whose bytes (SHA-256, or the digest the Hub
    /// publishes) were judged before under the same modelvet version, rule catalog and
    /// policy is not read again. Only complete verdicts are stored. DIR may be shared by
    /// several processes and machines.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1, or `none` to report only (errors still
    /// exit 3) [default: medium, or the config's fail_on].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Skip the SHA-256 of top-level files.
    #[arg(long)]
    no_hash: bool,
    /// Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from the first path).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Print only the summary line (text format).
    #[arg(long, short)]
    quiet: bool,
    /// Show every artifact and info-level finding (text format).
    #[arg(long, short)]
    verbose: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Leave out paths matching this pattern (gitignore syntax; a pattern with `/` is
    /// anchored at the current folder). Repeatable. Named paths are always scanned.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not apply `.gitignore`, `.ignore` and `.git/info/exclude` in scanned folders.
    #[arg(long)]
    no_ignore: bool,
    /// Walk into the folders left out by default (.git, .venv, node_modules, build ...).
    #[arg(long)]
    no_default_excludes: bool,
    /// Follow symbolic links to folders, and links out of the scanned tree (each folder
    /// is walked once, so loops end).
    #[arg(long)]
    follow_symlinks: bool,
    /// Apply the default excludes and exclude patterns to paths named on the command line
    /// too (for file lists from pre-commit or `git ls-files`).
    #[arg(long)]
    force_exclude: bool,
    /// A named file whose content modelvet does not parse, under a name that claims no
    /// model format, is skipped as in a folder walk instead of making the run incomplete
    /// (for file lists such as pre-commit's). A model name over such content stays
    /// incomplete.
    #[arg(long)]
    skip_unrecognized: bool,
    /// Accept the findings of an earlier JSON report (`--format json`): they are shown as
    /// suppressed and only new findings fail the run.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// The folder SARIF URIs and finding fingerprints are relative to [default: the Git
    /// work tree around the current folder, else the current folder].
    #[arg(long, value_name = "DIR")]
    sarif_root: Option<PathBuf>,
    /// For hf:// inputs: download the files that passed into DIR, in the Hugging Face cache
    /// layout, each checked against the Hub's SHA-256 (LFS) or Git blob id while streaming.
    /// For store inputs: into DIR/<bucket>/<key>, each asked for the ETag scanned.
    #[arg(long, value_name = "DIR")]
    download: Option<PathBuf>,
}

pub fn run(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => EXIT_USAGE,
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Rules { markdown } => {
            if markdown {
                print!("{}", rules::render_markdown());
            } else {
                for r in rules::CATALOG {
                    println!(
                        "{:<6} {:<9} {:<26} {}",
                        r.id,
                        r.severity.as_str(),
                        r.name,
                        r.summary
                    );
                }
            }
            0
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "modelvet", &mut std::io::stdout());
            0
        }
        Command::Man { out_dir } => match write_man(out_dir.as_deref()) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("modelvet: {e}");
                EXIT_USAGE
            }
        },
        Command::Hash(args) => provenance::run_hash(args),
        Command::Sign(args) => provenance::run_sign(args),
        Command::Verify(args) => provenance::run_verify(args),
        Command::Bom(args) => bom::run_bom(args),
        Command::Inventory(args) => inventory::run_inventory(args),
        Command::VerifyBom(args) => provenance::run_verify_bom(args),
        Command::Config(args) => match show_config::run_config(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("modelvet: {e}");
                EXIT_USAGE
            }
        },
        Command::Scan(args) => match run_scan(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("modelvet: {e}");
                EXIT_USAGE
            }
        },
    }
}

/// The man pages come from the same definitions as `--help`, so they cannot drift.
fn write_man(out_dir: Option<&Path>) -> Result<(), String> {
    let command = <Cli as clap::CommandFactory>::command();
    match out_dir {
        Some(dir) => clap_mangen::generate_to(command, dir)
            .map_err(|e| format!("man pages into {}: {e}", dir.display())),
        None => {
            // Built as `generate_to` builds it, so the page lists the same subcommands.
            let mut command = command.disable_help_subcommand(true);
            command.build();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map_err(|e| format!("man page: {e}"))
        }
    }
}

/// Checks `-o` before anything is scanned: its folder must exist, it must not be a
/// folder, and it must not be one of the files named as inputs (the report would replace
/// the model it describes).
fn check_output_path(output: &Path, inputs: &[String]) -> Result<(), String> {
    let shown = output.display();
    if output.is_dir() {
        return Err(format!("-o {shown}: is a directory"));
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "-o {shown}: the folder {} does not exist",
            parent.display()
        ));
    }
    if let Ok(target) = output.canonicalize() {
        let named = inputs
            .iter()
            .filter(|i| *i != "-" && !is_remote_target(i))
            .filter_map(|i| Path::new(i).canonicalize().ok());
        for input in named {
            if input == target {
                return Err(format!(
                    "-o {shown}: is an input of this scan; the report would overwrite it"
                ));
            }
        }
        if std::fs::metadata(&target).is_ok_and(|m| m.permissions().readonly()) {
            return Err(format!("-o {shown}: is read-only"));
        }
    }
    Ok(())
}

/// A Hub reference or an object-store URL: no local path, no configuration beside it.
pub(crate) fn is_remote_target(input: &str) -> bool {
    RepoRef::looks_remote(input) || object_stores::looks_like_store(input)
}

/// The walk's scope from the flags and the configuration's `exclude`.
/// The exclude sets of a walk: `--exclude` patterns anchored at the current folder, and the
/// configuration's `exclude`, anchored at the configuration file's folder.
pub(crate) fn exclude_sets(
    cli_patterns: &[String],
    cfg: &config::Config,
) -> Result<Vec<ExcludeSet>, String> {
    let mut excludes = Vec::new();
    if !cli_patterns.is_empty() {
        let cwd = std::env::current_dir().map_err(|e| format!("current folder: {e}"))?;
        excludes.push(ExcludeSet::new("--exclude", &cwd, cli_patterns)?);
    }
    if let (Some(source), false) = (&cfg.source, cfg.exclude.is_empty()) {
        let root = match source.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        excludes.push(ExcludeSet::new(
            &source.display().to_string(),
            &root,
            &cfg.exclude,
        )?);
    }
    Ok(excludes)
}

/// The configuration a command uses: none with `--no-config`, the named file, or the one
/// discovered upwards from `start` (none for a remote input, which has no folder).
pub(crate) fn command_config(
    no_config: bool,
    named: Option<&Path>,
    start: &str,
) -> Result<config::Config, String> {
    if no_config {
        return Ok(config::Config::default());
    }
    if let Some(p) = named {
        return config::load(p);
    }
    if is_remote_target(start) {
        return Ok(config::Config::default());
    }
    match config::discover(Path::new(start)) {
        Some(p) => config::load(&p),
        None => Ok(config::Config::default()),
    }
}

fn scan_scope(args: &ScanArgs, cfg: &config::Config) -> Result<scan::Scope, String> {
    let excludes = exclude_sets(&args.exclude, cfg)?;
    Ok(scan::Scope {
        default_excludes: !args.no_default_excludes,
        ignore_files: !args.no_ignore,
        excludes,
        follow_symlinks: args.follow_symlinks,
        force_exclude: args.force_exclude,
        named_as_found: args.skip_unrecognized,
    })
}

/// What every target of a scan shares, resolved once from the flags and the configuration.
struct ScanSettings {
    cfg: config::Config,
    fail_on: Gate,
    opts: ScanOptions,
    baseline: Option<report::suppress::Baseline>,
    source_root: PathBuf,
    /// The Hub endpoint and token (read from the environment once).
    hub: HubConfig,
    download_gate: Severity,
}

fn run_scan(args: ScanArgs) -> Result<i32, String> {
    if args.targets_from.is_some() {
        return batch::run_batch(&args);
    }
    if let Some(output) = &args.output {
        check_output_path(output, &args.paths)?;
    }
    let settings = scan_settings(&args, &args.paths, !args.quiet)?;
    let report = scan_targets(&args, &settings, &args.paths)?;
    write_report(&args, &report)?;
    Ok(report.exit_code())
}

/// Flags and configuration resolved for a scan of `paths` (the configuration is found from
/// the first local one).
fn scan_settings(
    args: &ScanArgs,
    paths: &[String],
    progress: bool,
) -> Result<ScanSettings, String> {
    let config_path = if args.no_config {
        None
    } else if let Some(p) = &args.config {
        Some(p.clone())
    } else {
        // From the first local path; for `-` and hf:// targets, from the current folder.
        let start = paths
            .iter()
            .find(|p| *p != "-" && !is_remote_target(p))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        config::discover(&start)
    };
    let cfg = match &config_path {
        Some(p) => config::load(p)?,
        None => config::Config::default(),
    };
    if let Some(p) = &cfg.source {
        if args.verbose {
            eprintln!("modelvet: using configuration {}", p.display());
        }
    }
    let fail_on = FailOn::resolve(args.fail_on, &cfg);
    let scope = scan_scope(args, &cfg)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(report::suppress::Baseline::load)
        .transpose()?;
    let source_root = match &args.sarif_root {
        Some(dir) if dir.is_dir() => dir.clone(),
        Some(dir) => return Err(format!("--sarif-root {}: not a folder", dir.display())),
        None => report::locate::default_source_root(
            &std::env::current_dir().map_err(|e| format!("current folder: {e}"))?,
        ),
    };
    let cache = match &args.cache {
        Some(dir) => Some(std::sync::Arc::new(
            crate::verdict_cache::VerdictCache::open(dir, &cfg.policy)?,
        )),
        None => None,
    };
    let opts = ScanOptions {
        cache,
        hash: !args.no_hash,
        policy: cfg.policy.clone(),
        progress,
        scope,
    };
    if opts.progress && std::io::stderr().is_terminal() {
        // Ctrl-C leaves no half progress line behind; 130 is the shell's code for SIGINT.
        let _ = ctrlc::set_handler(|| {
            scan::progress::clear_on_interrupt();
            std::process::exit(130);
        });
    }
    let any_remote = paths
        .iter()
        .any(|p| RepoRef::looks_remote(p) || object_stores::looks_like_store(p));
    if args.download.is_some() && !any_remote && args.targets_from.is_none() {
        return Err(
            "--download needs an hf://, https://huggingface.co, s3://, gs:// or az:// input".into(),
        );
    }
    let download_gate = match (&args.download, fail_on.severity()) {
        (Some(_), None) => {
            return Err(
                "--download with --fail-on none would write files whatever was found; \
                 name the severity that blocks a download"
                    .into(),
            )
        }
        (_, s) => s.unwrap_or(Severity::Info),
    };
    let hub = HubConfig::from_env();
    if any_remote || args.targets_from.is_some() {
        for w in &hub.warnings {
            eprintln!("modelvet: {w}");
        }
    }
    Ok(ScanSettings {
        cfg,
        fail_on,
        opts,
        baseline,
        source_root,
        hub,
        download_gate,
    })
}

/// The report of one scan of `paths` (local and remote), suppressions and policy applied.
fn scan_targets(
    args: &ScanArgs,
    settings: &ScanSettings,
    paths: &[String],
) -> Result<report::Report, String> {
    let ScanSettings {
        cfg,
        fail_on,
        opts,
        baseline,
        source_root,
        hub,
        download_gate,
    } = settings;
    let (fail_on, download_gate) = (*fail_on, *download_gate);
    let (stores, rest): (Vec<String>, Vec<String>) = paths
        .iter()
        .cloned()
        .partition(|p| object_stores::looks_like_store(p));
    let (remote, local): (Vec<String>, Vec<String>) =
        rest.into_iter().partition(|p| RepoRef::looks_remote(p));
    let (mut artifacts, scope_section) = if local.is_empty() {
        (Vec::new(), scan::ScopeSection::default())
    } else {
        let scan = scan::scan_local(&local, opts)?;
        (scan.artifacts, scan.scope)
    };
    let mut sections = Vec::new();
    if !remote.is_empty() {
        for input in &remote {
            match vet::scan_remote(input, hub, opts) {
                Ok(scan) => {
                    // One input alone: listing paths as they are; several: prefixed so
                    // every artifact path in the report is unique.
                    let prefix = if paths.len() == 1 {
                        String::new()
                    } else {
                        format!("{}@{}/", scan.repo.display_name(), scan.commit)
                    };
                    let mut arts = scan.artifacts.clone();
                    for a in &mut arts {
                        a.path = format!("{prefix}{}", a.path);
                        a.file = format!("{prefix}{}", a.file);
                    }
                    let mut section = scan.section(&prefix);
                    if let Some(dir) = &args.download {
                        section.download = Some(vet::download_passed(
                            &scan,
                            hub,
                            download_gate,
                            dir,
                            &mut arts,
                            &prefix,
                        ));
                    }
                    artifacts.extend(arts);
                    sections.push(section);
                }
                Err(e) if e.exit_code() == EXIT_USAGE => return Err(e.message),
                Err(e) => {
                    eprintln!("modelvet: {e}");
                    let mut a = report::Artifact::new(input.clone(), input.clone(), None);
                    a.format = crate::formats::registry::Format::HfRepository;
                    a.mark_error(e.message);
                    artifacts.push(a);
                }
            }
        }
    }
    for input in &stores {
        match object_stores::scan_store(input, opts) {
            Ok(scan) => {
                let prefix = if paths.len() == 1 {
                    String::new()
                } else {
                    format!("{}/", scan.url.shown())
                };
                let mut section = scan.section.clone();
                section.path_prefix = prefix.clone();
                if let Some(dir) = &args.download {
                    section.download =
                        Some(object_stores::download_passed(&scan, download_gate, dir));
                }
                let mut arts = scan.artifacts;
                for a in &mut arts {
                    a.path = format!("{prefix}{}", a.path);
                    a.file = format!("{prefix}{}", a.file);
                }
                artifacts.extend(arts);
                sections.push(section);
            }
            Err(e) if e.usage => return Err(e.message),
            Err(e) => {
                eprintln!("modelvet: {}", e.message);
                let mut a = report::Artifact::new(input.clone(), input.clone(), None);
                a.mark_error(e.message);
                artifacts.push(a);
            }
        }
    }
    let mut report = crate::scan::build_report(paths.to_vec(), artifacts, fail_on);
    report.remote = sections;
    report.scope = scope_section;
    if let Some(required) = &cfg.model_policy.require_signature {
        provenance::require_signatures(&mut report, paths, required);
    }
    scan::policy_checks::enforce(&mut report, &cfg.model_policy, &opts.policy);
    report.set_source_root(source_root);
    report.apply_suppressions(
        &cfg.ignores,
        cfg.source.as_deref(),
        baseline.as_ref(),
        &report::suppress::today_utc(),
    )?;
    Ok(report)
}

/// Renders the report in the asked format to `-o` or standard output.
fn write_report(args: &ScanArgs, report: &report::Report) -> Result<(), String> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let text = match args.format {
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Github => report::github::render(report),
        Format::Jsonl => report::jsonl::render(report),
        Format::Text if args.quiet => {
            let full = report::text::render(
                report,
                &report::text::TextStyle {
                    color,
                    verbose: false,
                },
            );
            full.lines()
                .last()
                .map(|l| format!("{l}\n"))
                .unwrap_or_default()
        }
        Format::Text => report::text::render(
            report,
            &report::text::TextStyle {
                color,
                verbose: args.verbose,
            },
        ),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            // The CI log still says why the run failed or passed.
            let summary = report::text::render(
                report,
                &report::text::TextStyle {
                    color: false,
                    verbose: false,
                },
            );
            if let Some(line) = summary.lines().last() {
                eprintln!("{line} (report written to {})", path.display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("writing the report: {e}"));
                }
            }
        }
    }
    Ok(())
}
