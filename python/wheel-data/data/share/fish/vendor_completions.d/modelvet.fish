# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_modelvet_global_optspecs
    string join \n h/help V/version
end

function __fish_modelvet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_modelvet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_modelvet_using_subcommand
    set -l cmd (__fish_modelvet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c modelvet -n "__fish_modelvet_needs_command" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_needs_command" -s V -l version -d 'Print version'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "scan" -d 'Scan files, directories (recursively) or `-` (standard input)'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "hash" -d 'Print each file\'s digest and the model\'s root digest, as OpenSSF model signing computes them'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "sign" -d 'Sign a model with a private key: writes an OMS bundle (model.sig)'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "verify" -d 'Verify a model: an OMS signature (key, certificate chain, Sigstore keyless), the Hub\'s own hashes (--against), or a Hugging Face cache (--hf-cache)'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "bom" -d 'Write a CycloneDX 1.6/1.7 AI-BOM: the model, its files and hashes, its card, lineage and datasets, the scan\'s findings, and a signature check when asked'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "verify-bom" -d 'Check a BOM\'s signature (`bom --sign-key`): the key, the BOM\'s exact bytes, and that the bundle signs this BOM'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "inventory" -d 'List the models, datasets, hosted models and model-loading calls an application\'s source uses (Python, configs, scripts, Dockerfiles), with file and line, and scan the model files in the tree'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "config" -d 'Print the configuration a scan would use (TOML) and the file it came from'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "man" -d 'Print the man page (roff), or write one page per command into a folder'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "rules" -d 'List the rule catalog'
complete -c modelvet -n "__fish_modelvet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l targets-from -d 'Scan the targets listed in FILE (`-`: standard input), one per line: a path, an `hf://` reference or URL. Each is judged as `modelvet scan TARGET` would judge it; `--format jsonl` writes one record per target as it finishes. Blank lines and lines starting with `#` are skipped; a target listed twice is scanned once' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l resume -d 'With --targets-from: skip the targets OUT.jsonl already records, and append the records of the others to it (a record cut short by a crash is dropped and redone)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l jobs -d 'With --targets-from: targets scanned at once [default: the number of CPUs, at most 16]. Each local target scans its files in parallel too; each remote one keeps its own bounded pool of range requests' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l cache -d 'Reuse verdicts by content: a file whose bytes (SHA-256, or the digest the Hub publishes) were judged before under the same modelvet version, rule catalog and policy is not read again. Only complete verdicts are stored. DIR may be shared by several processes and machines' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l format -d 'Report format' -r -f -a "text\t''
json\t''
sarif\t''
github\t'GitHub Actions annotations (`::error file=...::`), then the summary line'
jsonl\t'One JSON object per artifact, then a summary object'"
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -s o -l output -d 'Write the report here instead of standard output' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l fail-on -d 'Lowest severity that makes the exit code 1, or `none` to report only (errors still exit 3) [default: medium, or the config\'s fail_on]' -r -f -a "critical\t''
high\t''
medium\t''
low\t''
info\t''
none\t'Report only: findings never fail the run (errors still exit 3)'"
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l config -d 'Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from the first path)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l color -d 'Colour in text output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l exclude -d 'Leave out paths matching this pattern (gitignore syntax; a pattern with `/` is anchored at the current folder). Repeatable. Named paths are always scanned' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l baseline -d 'Accept the findings of an earlier JSON report (`--format json`): they are shown as suppressed and only new findings fail the run' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l sarif-root -d 'The folder SARIF URIs and finding fingerprints are relative to [default: the Git work tree around the current folder, else the current folder]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l download -d 'For hf:// inputs: download the files that passed into DIR, in the Hugging Face cache layout, each checked against the Hub\'s SHA-256 (LFS) or Git blob id while streaming. For store inputs: into DIR/<bucket>/<key>, each asked for the ETag scanned' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l no-hash -d 'Skip the SHA-256 of top-level files'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l no-config -d 'Ignore any configuration file'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -s q -l quiet -d 'Print only the summary line (text format)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -s v -l verbose -d 'Show every artifact and info-level finding (text format)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l no-ignore -d 'Do not apply `.gitignore`, `.ignore` and `.git/info/exclude` in scanned folders'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l no-default-excludes -d 'Walk into the folders left out by default (.git, .venv, node_modules, build ...)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l follow-symlinks -d 'Follow symbolic links to folders, and links out of the scanned tree (each folder is walked once, so loops end)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l force-exclude -d 'Apply the default excludes and exclude patterns to paths named on the command line too (for file lists from pre-commit or `git ls-files`)'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -l skip-unrecognized -d 'A named file whose content modelvet does not parse, under a name that claims no model format, is skipped as in a folder walk instead of making the run incomplete (for file lists such as pre-commit\'s). A model name over such content stays incomplete'
complete -c modelvet -n "__fish_modelvet_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l method -d 'One digest per file, or per byte range of every file' -r -f -a "files\t''
shards\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l shard-size -d 'Shard size in bytes (with --method shards)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l hash-type -d 'Hash of each file or shard (the root digest is always SHA-256)' -r -f -a "sha256\t''
blake2b\t''
blake3\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l ignore-paths -d 'Leave these out (paths inside the model, or relative to it). Repeatable' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l format -r -f -a "text\t''
json\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l no-ignore-git-paths -d 'Do not leave out .git, .gitattributes, .github and .gitignore'
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -l allow-symlinks -d 'Follow symbolic links (refused by default, as model-signing does)'
complete -c modelvet -n "__fish_modelvet_using_subcommand hash" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l key -d 'Private key PEM (PKCS#8 or SEC1): ECDSA P-256/P-384/P-521, or Ed25519 (outside OMS)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l signature -d 'Where to write the bundle [default: PATH/model.sig for a directory, model.sig beside a file]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l method -d 'One digest per file, or per byte range of every file' -r -f -a "files\t''
shards\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l shard-size -d 'Shard size in bytes (with --method shards)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l hash-type -d 'Hash of each file or shard (the root digest is always SHA-256)' -r -f -a "sha256\t''
blake2b\t''
blake3\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l ignore-paths -d 'Leave these out (paths inside the model, or relative to it). Repeatable' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l no-ignore-git-paths -d 'Do not leave out .git, .gitattributes, .github and .gitignore'
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -l allow-symlinks -d 'Follow symbolic links (refused by default, as model-signing does)'
complete -c modelvet -n "__fish_modelvet_using_subcommand sign" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l signature -d 'The OMS bundle [default: PATH/model.sig, or model.sig beside a file]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l key -d 'Public key PEM (ECDSA, or Ed25519 for modelvet\'s extension)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l certificate-chain -d 'PEM file of trust anchors for the bundle\'s certificate chain (never a web-PKI default)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l identity -d 'Sigstore keyless: the exact signer identity (e-mail or URI in the certificate)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l issuer -d 'Sigstore keyless: the exact OIDC issuer URL' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l trusted-root -d 'Sigstore trusted_root.json to use instead of the embedded production root' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l against -d 'Compare the local files with a Hub revision: hf://org/name[@rev]' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l ignore-paths -d 'Also leave out these paths (inside the model). Repeatable' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l at -d 'Check a certificate chain at this Unix time instead of now' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l hf-cache -d 'Check a Hugging Face cache offline (all repos, or the one named: org/name)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l cache-dir -d 'Cache root for --hf-cache [default: $HF_HUB_CACHE, or $HF_HOME/hub]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -l format -r -f -a "text\t''
json\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -s o -l output -d 'Write the result here instead of standard output' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l spec -d 'CycloneDX specification version' -r -f -a "1.6\t''
1.7\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -s o -l output -d 'Write the BOM here instead of standard output' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l vex -d 'Also write the findings alone as a CycloneDX VEX document to FILE, each affecting its component of the BOM by BOM-Link (for consumers such as Dependency-Track that import vulnerabilities only from VEX)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l sign-key -d 'Sign the written BOM with this private key (PEM: ECDSA P-256/P-384/P-521 or Ed25519): a detached Sigstore bundle over the BOM\'s bytes, checked by `modelvet verify-bom`. Needs --output' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l bom-signature -d 'Where the BOM\'s signature goes [default: the BOM\'s path + .sigstore.json]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l name -d 'The model\'s (or, for several models, the whole\'s) name, when the artifacts do not say it right (an in-house model); marked in the BOM as declared by the user' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l version -d 'Its version (declared by the user)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l supplier -d 'Its supplier, an organisation name (declared by the user)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l purl -d 'Its package URL, `pkg:type/namespace/name@version` (declared by the user)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l release-date -d 'Its release date, YYYY-MM-DD (declared by the user; no artifact states one)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l format -d 'Format of the --completeness listing' -r -f -a "text\t''
json\t'`{"profiles": [{profile, title, model, elements: [{id, label, reference, status, detail, source}]}]}`'"
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l fail-on -d 'Lowest severity that makes the exit code 1, or `none` [default: medium, or the config\'s fail_on]' -r -f -a "critical\t''
high\t''
medium\t''
low\t''
info\t''
none\t'Report only: findings never fail the run (errors still exit 3)'"
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l config -d 'Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from PATH)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l signature -d 'The OMS bundle [default: PATH/model.sig, or model.sig beside a file]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l key -d 'Public key PEM (ECDSA, or Ed25519 for modelvet\'s extension)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l certificate-chain -d 'PEM file of trust anchors for the bundle\'s certificate chain (never a web-PKI default)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l identity -d 'Sigstore keyless: the exact signer identity (e-mail or URI in the certificate)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l issuer -d 'Sigstore keyless: the exact OIDC issuer URL' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l trusted-root -d 'Sigstore trusted_root.json to use instead of the embedded production root' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l against -d 'Compare the local files with a Hub revision: hf://org/name[@rev]' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l ignore-paths -d 'Also leave out these paths (inside the model). Repeatable' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l at -d 'Check a certificate chain at this Unix time instead of now' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l application -d 'PATH is an application\'s source tree: write its AI-BOM from `modelvet inventory` (the application as metadata.component; referenced models and datasets, hosted models as services, AI frameworks, model files in the tree)'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l vet -d 'With --application: vet every referenced Hub revision over range reads, as `inventory --vet` does; its findings become vulnerabilities of the model'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l spdx -d 'Write SPDX 3.0.1 JSON-LD (AI and Dataset profiles) instead of CycloneDX'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l completeness -d 'Print which G7 / EU AI Act Annex XI elements are present and which are missing (to standard output; the BOM then goes only to --output)'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -l no-config -d 'Ignore any configuration file'
complete -c modelvet -n "__fish_modelvet_using_subcommand bom" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c modelvet -n "__fish_modelvet_using_subcommand verify-bom" -l key -d 'The signer\'s public key (PEM)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify-bom" -l signature -d 'The signature bundle [default: the BOM\'s path + .sigstore.json]' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand verify-bom" -l format -r -f -a "text\t''
json\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand verify-bom" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l format -r -f -a "text\t''
json\t'One document: references, frameworks, findings, summary (schemas/inventory.schema.json)'
sarif\t''"
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -s o -l output -d 'Write the result here instead of standard output' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l fail-on -d 'Lowest severity that makes the exit code 1, or `none` [default: medium, or the config\'s fail_on]' -r -f -a "critical\t''
high\t''
medium\t''
low\t''
info\t''
none\t'Report only: findings never fail the run (errors still exit 3)'"
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l config -d 'Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from PATH)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l exclude -d 'Leave out paths matching this gitignore-style pattern (repeatable)' -r
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l no-config -d 'Ignore any configuration file'
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l no-ignore -d 'Do not apply .gitignore, .ignore and .git/info/exclude'
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l no-default-excludes -d 'Walk into .git, virtual environments, node_modules, build outputs and the like'
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -l vet -d 'Resolve every Hub model and dataset reference at its revision and scan it over HTTP range reads (HF_ENDPOINT, HF_TOKEN as for `scan hf://`). Without it the inventory makes no network request'
complete -c modelvet -n "__fish_modelvet_using_subcommand inventory" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c modelvet -n "__fish_modelvet_using_subcommand config" -l config -d 'Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from PATH)' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand config" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand completions" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand man" -l out-dir -d 'Write modelvet.1, modelvet-scan.1, ... into this folder' -r -F
complete -c modelvet -n "__fish_modelvet_using_subcommand man" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand rules" -l markdown -d 'Print the catalog as Markdown (the text of docs/rules.md)'
complete -c modelvet -n "__fish_modelvet_using_subcommand rules" -s h -l help -d 'Print help'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "scan" -d 'Scan files, directories (recursively) or `-` (standard input)'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "hash" -d 'Print each file\'s digest and the model\'s root digest, as OpenSSF model signing computes them'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "sign" -d 'Sign a model with a private key: writes an OMS bundle (model.sig)'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "verify" -d 'Verify a model: an OMS signature (key, certificate chain, Sigstore keyless), the Hub\'s own hashes (--against), or a Hugging Face cache (--hf-cache)'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "bom" -d 'Write a CycloneDX 1.6/1.7 AI-BOM: the model, its files and hashes, its card, lineage and datasets, the scan\'s findings, and a signature check when asked'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "verify-bom" -d 'Check a BOM\'s signature (`bom --sign-key`): the key, the BOM\'s exact bytes, and that the bundle signs this BOM'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "inventory" -d 'List the models, datasets, hosted models and model-loading calls an application\'s source uses (Python, configs, scripts, Dockerfiles), with file and line, and scan the model files in the tree'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "config" -d 'Print the configuration a scan would use (TOML) and the file it came from'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "man" -d 'Print the man page (roff), or write one page per command into a folder'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "rules" -d 'List the rule catalog'
complete -c modelvet -n "__fish_modelvet_using_subcommand help; and not __fish_seen_subcommand_from scan hash sign verify bom verify-bom inventory config completions man rules help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
