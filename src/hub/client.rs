//! A small blocking client for the Hub's metadata and file endpoints.
//!
//! Redirects are followed here, not by the HTTP library, because the token must only ever
//! reach the configured endpoint: a redirect to another origin (the Hub's CDN) is followed
//! without it, and metadata requests stop there, since the headers that matter
//! (`X-Repo-Commit`, `X-Linked-Etag`) are on the redirect itself.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::http::{HeaderMap, Response};
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use ureq::Body;

use crate::hub::api::{self, printable, RemoteListing, RevisionInfo, TreeEntry};
use crate::hub::env::{HubConfig, Token, TokenSource};
use crate::hub::repo_ref::{encode_path, encode_segment, RepoRef};

/// Largest JSON answer read (a listing of ~100k files with scan details fits well under).
pub(crate) const MAX_JSON_BODY: u64 = 64 * 1024 * 1024;

/// Largest byte range one `get_range` call returns, so a caller's arithmetic slip cannot
/// ask for a buffer the size of a model.
pub(crate) const MAX_RANGE_BYTES: u64 = 256 * 1024 * 1024;

/// Hops of one request; the Hub needs two at most (resolve -> resolve-cache -> CDN).
const MAX_REDIRECTS: usize = 5;

/// Tries of one request on a 5xx, a 429 or a connection failure.
const ATTEMPTS: u32 = 3;

/// First wait between tries; doubled each time.
const BACKOFF: Duration = Duration::from_millis(200);

/// Pages of the tree API followed before giving up (a loop or a runaway server).
const MAX_TREE_PAGES: usize = 10_000;

/// Longest `Location` or `Link` URL accepted.
const MAX_URL_LEN: usize = 8 * 1024;

/// A metadata request that takes longer than this has stalled.
const METADATA_TIMEOUT: Duration = Duration::from_secs(300);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// File downloads have no overall bound (models are large); a silent connection does.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubErrorKind {
    /// `HF_HUB_OFFLINE` is set.
    Offline,
    /// 401/403: private, gated, or the token has no access.
    Auth,
    /// 404: repository, revision or file.
    NotFound,
    /// Any other HTTP status.
    Http,
    /// DNS, connect, TLS, timeouts.
    Network,
    /// The server's answer is malformed, inconsistent or too large.
    Protocol,
    /// The request itself is invalid (a bad endpoint, a reversed range).
    Invalid,
}

/// Never holds the token: messages are built from statuses, headers and our own text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubError {
    pub kind: HubErrorKind,
    pub message: String,
    pub status: Option<u16>,
    /// The Hub's `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`,
    /// `GatedRepo`, ...).
    pub error_code: Option<String>,
}

impl HubError {
    fn new(kind: HubErrorKind, message: impl Into<String>) -> HubError {
        HubError {
            kind,
            message: message.into(),
            status: None,
            error_code: None,
        }
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HubError {}

/// What `HEAD .../resolve/{commit}/{path}` says about one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileHead {
    pub status: u16,
    /// `X-Repo-Commit`, when it is 40 hex digits.
    pub commit: Option<String>,
    /// `X-Linked-Etag` unquoted: the LFS SHA-256 for LFS files.
    pub linked_etag: Option<String>,
    /// `X-Linked-Size`: the LFS object's size.
    pub linked_size: Option<u64>,
    /// `ETag` unquoted: the Git blob SHA-1 for files in Git.
    pub etag: Option<String>,
    pub content_length: Option<u64>,
    /// Where a cross-origin redirect (the CDN) pointed; not followed.
    pub location: Option<String>,
}

impl FileHead {
    /// The content SHA-256, when the Hub says it (LFS files).
    pub fn sha256(&self) -> Option<String> {
        self.linked_etag
            .as_deref()
            .and_then(|e| api::hex_digest(e, 64))
    }

    /// The Git blob SHA-1, when the ETag is one (files stored in Git).
    pub fn git_blob_sha1(&self) -> Option<String> {
        self.etag.as_deref().and_then(|e| api::hex_digest(e, 40))
    }

    /// The content size: the LFS size for LFS files, else the body length.
    pub fn size(&self) -> Option<u64> {
        self.linked_size.or(self.content_length)
    }
}

/// A streamed file body. The caller bounds how much it reads.
pub struct RemoteReader {
    inner: ureq::BodyReader<'static>,
    /// `Content-Length` of the final response, if sent.
    pub content_length: Option<u64>,
}

impl Read for RemoteReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl fmt::Debug for RemoteReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteReader")
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Redirects {
    /// Metadata: stop at a redirect that leaves the origin and return it.
    SameOrigin,
    /// Content: follow a redirect to another origin, without the token.
    Any,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
}

impl Redirects {
    /// Metadata requests have an overall time limit; downloads (models take hours) only
    /// a per-read one.
    fn time_limit(self) -> Option<Duration> {
        match self {
            Redirects::SameOrigin => Some(METADATA_TIMEOUT),
            Redirects::Any => None,
        }
    }
}

/// What a request is about, for error messages.
struct Subject<'a> {
    repo: &'a RepoRef,
    /// The revision or commit asked for.
    revision: &'a str,
    /// The file, for file requests.
    path: Option<&'a str>,
}

pub struct HubClient {
    agent: ureq::Agent,
    endpoint: String,
    /// Origin of the configured endpoint: the only one the token is sent to.
    token_origin: String,
    token: Option<Token>,
    token_source: Option<TokenSource>,
    offline: bool,
    backoff: Duration,
}

impl fmt::Debug for HubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token)
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

impl HubClient {
    pub fn new(config: &HubConfig) -> Result<HubClient, HubError> {
        let token_origin = origin(&config.endpoint).ok_or_else(|| {
            HubError::new(
                HubErrorKind::Invalid,
                format!(
                    "HF_ENDPOINT {:?} is not an http:// or https:// URL",
                    printable(&config.endpoint, 200)
                ),
            )
        })?;
        let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::WebPki)
            .unversioned_rustls_crypto_provider(crypto)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("modelvet/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .build()
            .into();
        Ok(HubClient {
            agent,
            endpoint: config.endpoint.clone(),
            token_origin,
            token: config.token.clone(),
            token_source: config.token_source.clone(),
            offline: config.offline,
            backoff: BACKOFF,
        })
    }

    /// The endpoint requests about `repo` go to: the URL the user wrote, or the
    /// configured one.
    pub(crate) fn endpoint_for(&self, repo: &RepoRef) -> String {
        repo.endpoint
            .clone()
            .unwrap_or_else(|| self.endpoint.clone())
    }

    /// Whether requests about `repo` carry the token.
    pub(crate) fn sends_token_to(&self, repo: &RepoRef) -> bool {
        self.token.is_some()
            && origin(&self.endpoint_for(repo)).as_deref() == Some(&*self.token_origin)
    }

    fn check_online(&self) -> Result<(), HubError> {
        if self.offline {
            return Err(HubError::new(
                HubErrorKind::Offline,
                "HF_HUB_OFFLINE is set, so the Hub was not contacted; unset it to compare with the Hub",
            ));
        }
        Ok(())
    }

    /// `GET /api/{kind}/{repo}/revision/{rev}?blobs=true&securityStatus=true`.
    pub fn revision_info(&self, repo: &RepoRef) -> Result<RevisionInfo, HubError> {
        self.check_online()?;
        let url = format!(
            "{}/api/{}/{}/revision/{}?blobs=true&securityStatus=true",
            self.endpoint_for(repo),
            repo.kind.plural(),
            repo.id,
            repo.revision_segment()
        );
        let subject = Subject {
            repo,
            revision: &repo.revision,
            path: None,
        };
        let (info, _) = self.get_json::<RevisionInfo>(&url, &subject)?;
        Ok(info)
    }

    /// Every entry of the tree API at `revision`, following `Link: rel="next"` pages.
    /// Returns the entries and the number of pages read.
    pub fn tree(
        &self,
        repo: &RepoRef,
        revision: &str,
    ) -> Result<(Vec<TreeEntry>, usize), HubError> {
        self.check_online()?;
        let endpoint = self.endpoint_for(repo);
        let endpoint_origin = origin(&endpoint).unwrap_or_default();
        let mut url = format!(
            "{endpoint}/api/{}/{}/tree/{}?recursive=true&expand=true",
            repo.kind.plural(),
            repo.id,
            encode_segment(revision)
        );
        let subject = Subject {
            repo,
            revision,
            path: None,
        };
        let mut entries = Vec::new();
        let mut seen_urls = std::collections::HashSet::new();
        for page in 1..=MAX_TREE_PAGES {
            let (batch, headers) = self.get_json::<Vec<TreeEntry>>(&url, &subject)?;
            entries.extend(batch);
            if entries.len() > api::MAX_LISTING_FILES {
                return Err(HubError::new(
                    HubErrorKind::Protocol,
                    format!(
                        "{repo}: the tree lists more than {} entries; not compared",
                        api::MAX_LISTING_FILES
                    ),
                ));
            }
            let Some(next) = next_link(&headers) else {
                return Ok((entries, page));
            };
            let next = resolve_url(&url, &next).ok_or_else(|| {
                HubError::new(
                    HubErrorKind::Protocol,
                    "the tree API's next-page link is not a URL",
                )
            })?;
            // A next link elsewhere would take the token (and our trust) to another host.
            if origin(&next).as_deref() != Some(endpoint_origin.as_str()) {
                return Err(HubError::new(
                    HubErrorKind::Protocol,
                    format!(
                        "the tree API's next-page link leaves {endpoint}: {}",
                        printable(&next, 200)
                    ),
                ));
            }
            if !seen_urls.insert(next.clone()) {
                return Err(HubError::new(
                    HubErrorKind::Protocol,
                    "the tree API's pages link back to a page already read",
                ));
            }
            url = next;
        }
        Err(HubError::new(
            HubErrorKind::Protocol,
            format!("the tree API has more than {MAX_TREE_PAGES} pages"),
        ))
    }

    /// The files of the commit `repo.revision` names: the revision API resolves the
    /// branch or tag to a commit, then the tree of that commit (not of the branch, which
    /// may move in between) is read and checked against it.
    pub(crate) fn resolve_listing(&self, repo: &RepoRef) -> Result<RemoteListing, HubError> {
        let info = self.revision_info(repo)?;
        let commit = api::commit_of(&info).map_err(|e| HubError::new(HubErrorKind::Protocol, e))?;
        if looks_like_commit(&repo.revision)
            && !commit.starts_with(&repo.revision.to_ascii_lowercase())
        {
            return Err(HubError::new(
                HubErrorKind::Protocol,
                format!(
                    "asked for commit {} but the Hub answered with commit {commit}",
                    repo.revision
                ),
            ));
        }
        let (tree, pages) = self.tree(repo, &commit)?;
        api::merge_listing(repo, &self.endpoint_for(repo), &info, tree, pages)
            .map_err(|e| HubError::new(HubErrorKind::Protocol, format!("{repo}: {e}")))
    }

    fn resolve_url(&self, repo: &RepoRef, commit: &str, path: &str) -> Result<String, HubError> {
        api::validate_remote_path(path).map_err(|e| HubError::new(HubErrorKind::Invalid, e))?;
        Ok(format!(
            "{}/{}{}/resolve/{}/{}",
            self.endpoint_for(repo),
            repo.kind.url_prefix(),
            repo.id,
            encode_segment(commit),
            encode_path(path)
        ))
    }

    /// One request to a file's resolve URL, after the offline check and path validation.
    fn send_resolve(
        &self,
        method: Method,
        repo: &RepoRef,
        commit: &str,
        path: &str,
        range: Option<(u64, u64)>,
        redirects: Redirects,
    ) -> Result<Response<Body>, HubError> {
        self.check_online()?;
        let url = self.resolve_url(repo, commit, path)?;
        let subject = Subject {
            repo,
            revision: commit,
            path: Some(path),
        };
        self.send(method, &url, range, redirects, &subject)
            .map(|(resp, _)| resp)
    }

    /// `HEAD .../resolve/{commit}/{path}`: same-origin redirects followed, the CDN not.
    pub fn head_file(
        &self,
        repo: &RepoRef,
        commit: &str,
        path: &str,
    ) -> Result<FileHead, HubError> {
        let resp = self.send_resolve(
            Method::Head,
            repo,
            commit,
            path,
            None,
            Redirects::SameOrigin,
        )?;
        let h = resp.headers();
        let status = resp.status().as_u16();
        Ok(FileHead {
            status,
            commit: header_str(h, "x-repo-commit").and_then(|c| api::hex_digest(c, 40)),
            linked_etag: header_str(h, "x-linked-etag").map(unquote_etag),
            linked_size: header_str(h, "x-linked-size").and_then(|s| s.trim().parse().ok()),
            etag: header_str(h, "etag").map(unquote_etag),
            content_length: header_str(h, "content-length").and_then(|s| s.trim().parse().ok()),
            location: (300..400)
                .contains(&status)
                .then(|| header_str(h, "location").map(|l| printable(l, MAX_URL_LEN)))
                .flatten(),
        })
    }

    /// Bytes `start..=end_inclusive` of a file (fewer if the file ends first).
    pub fn get_range(
        &self,
        repo: &RepoRef,
        commit: &str,
        path: &str,
        start: u64,
        end_inclusive: u64,
    ) -> Result<Vec<u8>, HubError> {
        if end_inclusive < start {
            return Err(HubError::new(
                HubErrorKind::Invalid,
                format!("byte range {start}-{end_inclusive} is reversed"),
            ));
        }
        let want = end_inclusive - start + 1;
        if want > MAX_RANGE_BYTES {
            return Err(HubError::new(
                HubErrorKind::Invalid,
                format!("byte range of {want} bytes is larger than {MAX_RANGE_BYTES}"),
            ));
        }
        let resp = self.send_resolve(
            Method::Get,
            repo,
            commit,
            path,
            Some((start, end_inclusive)),
            Redirects::Any,
        )?;
        let status = resp.status().as_u16();
        let shown = printable(path, 200);
        match status {
            206 => {
                let cr = header_str(resp.headers(), "content-range").ok_or_else(|| {
                    HubError::new(
                        HubErrorKind::Protocol,
                        format!("{shown}: 206 without Content-Range"),
                    )
                })?;
                let (s, e) = parse_content_range(cr).ok_or_else(|| {
                    HubError::new(
                        HubErrorKind::Protocol,
                        format!("{shown}: malformed Content-Range {:?}", printable(cr, 100)),
                    )
                })?;
                if s != start || e > end_inclusive {
                    return Err(HubError::new(
                        HubErrorKind::Protocol,
                        format!("{shown}: asked for bytes {start}-{end_inclusive}, got {s}-{e}"),
                    ));
                }
                let len = e - s + 1;
                let body = read_exact_len(resp.into_body(), len)
                    .map_err(|e| HubError::new(HubErrorKind::Network, format!("{shown}: {e}")))?;
                Ok(body)
            }
            // A server without range support sends the whole file; its prefix will do.
            200 if start == 0 => {
                let mut body = Vec::new();
                resp.into_body()
                    .into_reader()
                    .take(want)
                    .read_to_end(&mut body)
                    .map_err(|e| HubError::new(HubErrorKind::Network, format!("{shown}: {e}")))?;
                Ok(body)
            }
            200 => Err(HubError::new(
                HubErrorKind::Protocol,
                format!("{shown}: the server ignored the byte range"),
            )),
            416 => Err(HubError::new(
                HubErrorKind::Invalid,
                format!("{shown}: byte {start} is past the end of the file"),
            )),
            other => Err(HubError::new(
                HubErrorKind::Protocol,
                format!("{shown}: unexpected HTTP {other} to a range request"),
            )),
        }
    }

    /// The whole file, streamed.
    pub fn get_file(
        &self,
        repo: &RepoRef,
        commit: &str,
        path: &str,
    ) -> Result<RemoteReader, HubError> {
        let resp = self.send_resolve(Method::Get, repo, commit, path, None, Redirects::Any)?;
        if resp.status().as_u16() != 200 {
            return Err(HubError::new(
                HubErrorKind::Protocol,
                format!(
                    "{}: unexpected HTTP {} to a download",
                    printable(path, 200),
                    resp.status().as_u16()
                ),
            ));
        }
        let content_length =
            header_str(resp.headers(), "content-length").and_then(|s| s.trim().parse().ok());
        Ok(RemoteReader {
            inner: resp.into_body().into_with_config().limit(u64::MAX).reader(),
            content_length,
        })
    }

    fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        subject: &Subject<'_>,
    ) -> Result<(T, HeaderMap), HubError> {
        let (resp, final_url) =
            self.send(Method::Get, url, None, Redirects::SameOrigin, subject)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(HubError::new(
                HubErrorKind::Protocol,
                format!(
                    "{}: unexpected HTTP {status} (a redirect to {})",
                    subject.repo,
                    header_str(resp.headers(), "location")
                        .map(|l| printable(l, 200))
                        .unwrap_or_else(|| "nowhere".into())
                ),
            ));
        }
        let (parts, mut body) = resp.into_parts();
        let bytes = body
            .with_config()
            .limit(MAX_JSON_BODY)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => HubError::new(
                    HubErrorKind::Protocol,
                    format!(
                        "{}: the Hub's answer is larger than {MAX_JSON_BODY} bytes",
                        printable(&final_url, 200)
                    ),
                ),
                other => HubError::new(
                    HubErrorKind::Network,
                    format!(
                        "{}: reading the answer failed: {}",
                        printable(&final_url, 200),
                        describe_transport(&other)
                    ),
                ),
            })?;
        let value = serde_json::from_slice::<T>(&bytes).map_err(|e| {
            HubError::new(
                HubErrorKind::Protocol,
                format!(
                    "{}: the Hub's answer is not the JSON expected ({e})",
                    subject.repo
                ),
            )
        })?;
        Ok((value, parts.headers))
    }

    /// One request with redirects, retries and status mapping. Returns the final
    /// response (2xx, 206, 416 for ranges, or a cross-origin 3xx in `SameOrigin` mode)
    /// and its URL.
    fn send(
        &self,
        method: Method,
        url: &str,
        range: Option<(u64, u64)>,
        redirects: Redirects,
        subject: &Subject<'_>,
    ) -> Result<(Response<Body>, String), HubError> {
        let mut url = url.to_string();
        for _hop in 0..=MAX_REDIRECTS {
            let resp = self.send_with_retries(method, &url, range, redirects.time_limit())?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 {
                let Some(location) = header_str(resp.headers(), "location") else {
                    return Err(HubError::new(
                        HubErrorKind::Protocol,
                        format!(
                            "HTTP {status} without a Location from {}",
                            printable(&url, 200)
                        ),
                    ));
                };
                let next = resolve_url(&url, location).ok_or_else(|| {
                    HubError::new(
                        HubErrorKind::Protocol,
                        format!(
                            "a redirect to something that is not a URL: {}",
                            printable(location, 200)
                        ),
                    )
                })?;
                if url.starts_with("https://") && next.starts_with("http://") {
                    return Err(HubError::new(
                        HubErrorKind::Protocol,
                        format!(
                            "refused a redirect from https to plain http ({})",
                            printable(&next, 200)
                        ),
                    ));
                }
                let same = origin(&next) == origin(&url);
                if !same && redirects == Redirects::SameOrigin {
                    return Ok((resp, url));
                }
                url = next;
                continue;
            }
            if (200..300).contains(&status) || (status == 416 && range.is_some()) {
                return Ok((resp, url));
            }
            return Err(self.status_error(status, resp.headers(), subject));
        }
        Err(HubError::new(
            HubErrorKind::Protocol,
            format!("more than {MAX_REDIRECTS} redirects for {}", subject.repo),
        ))
    }

    fn send_with_retries(
        &self,
        method: Method,
        url: &str,
        range: Option<(u64, u64)>,
        time_limit: Option<Duration>,
    ) -> Result<Response<Body>, HubError> {
        let with_token = self
            .token
            .as_ref()
            .filter(|_| origin(url).as_deref() == Some(self.token_origin.as_str()));
        let mut last_error = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(self.backoff * 2u32.pow(attempt - 1));
            }
            let result = match method {
                Method::Get => {
                    let mut req = self.agent.get(url);
                    if let Some(t) = with_token {
                        req = req.header("Authorization", format!("Bearer {}", t.expose()));
                    }
                    if let Some((s, e)) = range {
                        req = req.header("Range", format!("bytes={s}-{e}"));
                    }
                    req.config().timeout_global(time_limit).build().call()
                }
                Method::Head => {
                    let mut req = self.agent.head(url);
                    if let Some(t) = with_token {
                        req = req.header("Authorization", format!("Bearer {}", t.expose()));
                    }
                    req.config().timeout_global(time_limit).build().call()
                }
            };
            match result {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if (status >= 500 || status == 429) && attempt + 1 < ATTEMPTS {
                        last_error = Some(format!("HTTP {status}"));
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) => {
                    let retryable = matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::Timeout(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::HostNotFound
                    );
                    let msg = describe_transport(&e);
                    if !retryable {
                        return Err(HubError::new(
                            HubErrorKind::Network,
                            format!("{}: {msg}", printable(&strip_query(url), 200)),
                        ));
                    }
                    last_error = Some(msg);
                }
            }
        }
        Err(HubError::new(
            HubErrorKind::Network,
            format!(
                "{}: {} (after {ATTEMPTS} tries)",
                printable(&strip_query(url), 200),
                last_error.unwrap_or_default()
            ),
        ))
    }

    fn status_error(&self, status: u16, h: &HeaderMap, s: &Subject<'_>) -> HubError {
        let code = header_str(h, "x-error-code").map(|c| printable(c, 60));
        let server_msg = header_str(h, "x-error-message").map(|m| printable(m, 300));
        let what = match s.path {
            Some(p) => format!(
                "{} at {}: {}",
                s.repo.display_name(),
                s.revision,
                printable(p, 200)
            ),
            None => format!("{}@{}", s.repo.display_name(), s.revision),
        };
        let endpoint = self.endpoint_for(s.repo);
        let token_hint = if self.sends_token_to(s.repo) {
            let src = self
                .token_source
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "the configured token".into());
            format!("the token from {src} was sent and does not grant access (request access to a gated repository on its page)")
        } else if self.token.is_some() {
            format!(
                "no token was sent, because {endpoint} is not the configured endpoint {}",
                self.endpoint
            )
        } else {
            "set HF_TOKEN (or log in with `hf auth login`) to a token with access".to_string()
        };
        let (kind, mut message) = match (status, code.as_deref()) {
            (401 | 403, Some("GatedRepo")) => (
                HubErrorKind::Auth,
                format!("{what}: gated repository (HTTP {status}): {token_hint}"),
            ),
            (401 | 403, Some("RepoNotFound")) | (404, Some("RepoNotFound")) => (
                HubErrorKind::NotFound,
                format!(
                    "{what}: repository not found on {endpoint} (HTTP {status}); if it is private or gated: {token_hint}"
                ),
            ),
            (401 | 403, _) => (
                HubErrorKind::Auth,
                format!("{what}: gated or private repository (HTTP {status}): {token_hint}"),
            ),
            (404, Some("RevisionNotFound")) => (
                HubErrorKind::NotFound,
                format!("{what}: revision {} not found", printable(s.revision, 200)),
            ),
            (404, Some("EntryNotFound")) => (
                HubErrorKind::NotFound,
                format!("{what}: file not found at this revision"),
            ),
            (404, _) => (
                HubErrorKind::NotFound,
                format!("{what}: not found on {endpoint} (HTTP 404): the repository, revision or file does not exist, or is private"),
            ),
            (_, _) => (
                HubErrorKind::Http,
                format!("{what}: HTTP {status} from {endpoint}"),
            ),
        };
        if let Some(c) = &code {
            message.push_str(&format!(" [X-Error-Code: {c}]"));
        }
        if let Some(m) = &server_msg {
            message.push_str(&format!(" [{m}]"));
        }
        HubError {
            kind,
            message,
            status: Some(status),
            error_code: code,
        }
    }
}

fn looks_like_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `W/"abc"` and `"abc"` -> `abc`.
fn unquote_etag(e: &str) -> String {
    let e = e.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    printable(e.trim_matches('"'), 200)
}

/// `bytes 10-20/300` (or `/*`) -> (10, 20).
fn parse_content_range(v: &str) -> Option<(u64, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, _total) = rest.split_once('/')?;
    let (s, e) = range.split_once('-')?;
    let (s, e): (u64, u64) = (s.trim().parse().ok()?, e.trim().parse().ok()?);
    (e >= s).then_some((s, e))
}

fn read_exact_len(body: Body, len: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(MAX_RANGE_BYTES) as usize);
    body.into_with_config()
        .limit(len.saturating_add(1))
        .reader()
        .take(len + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("expected {len} bytes, got {}", out.len()),
        ));
    }
    Ok(out)
}

/// `scheme://host[:port]`, lowercased, default ports dropped; `None` for other schemes.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// A `Location` or `Link` target resolved against the URL it came from.
fn resolve_url(base: &str, target: &str) -> Option<String> {
    let target = target.trim();
    if target.is_empty()
        || target.len() > MAX_URL_LEN
        || !target.bytes().all(|b| b.is_ascii_graphic())
    {
        return None;
    }
    if target.starts_with("http://") || target.starts_with("https://") {
        origin(target)?;
        return Some(target.to_string());
    }
    let base_origin = origin(base)?;
    if let Some(rest) = target.strip_prefix("//") {
        let scheme = base.split_once("://")?.0;
        let url = format!("{scheme}://{rest}");
        origin(&url)?;
        return Some(url);
    }
    if target.starts_with('/') {
        return Some(format!("{base_origin}{target}"));
    }
    // Relative to the base's directory (no server of the Hub does this, but it is legal).
    let after_scheme = base.split_once("://")?.1;
    let path = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let dir = &path[..=path.rfind('/').unwrap_or(0)];
    Some(format!("{base_origin}{dir}{target}"))
}

/// The `rel="next"` target of a `Link` header.
fn next_link(h: &HeaderMap) -> Option<String> {
    for value in h.get_all("link") {
        let Ok(v) = value.to_str() else { continue };
        let mut rest = v;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params_end = after[close..]
                .find('<')
                .map(|i| close + i)
                .unwrap_or(after.len());
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = &after[params_end..];
        }
    }
    None
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// A transport error in words, without anything request-specific (headers never appear
/// in ureq's errors, but say so here rather than rely on it).
fn describe_transport(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Io(io) => format!("network error: {io}"),
        ureq::Error::Tls(t) => format!("TLS error: {t}"),
        ureq::Error::Rustls(t) => format!("TLS error: {t}"),
        other => format!("HTTP error: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://HuggingFace.co/api/x").as_deref(),
            Some("https://huggingface.co")
        );
        assert_eq!(
            origin("https://huggingface.co:443/").as_deref(),
            Some("https://huggingface.co")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080?x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("ftp://x/"), None);
        assert_eq!(origin("https://user@x/"), None);
        assert_ne!(origin("http://127.0.0.1:1/"), origin("http://127.0.0.1:2/"));
    }

    #[test]
    fn redirect_targets() {
        let base = "https://hub/org/m/resolve/main/a.bin?x=1";
        assert_eq!(
            resolve_url(base, "/api/resolve-cache/x").as_deref(),
            Some("https://hub/api/resolve-cache/x")
        );
        assert_eq!(
            resolve_url(base, "//cdn/x").as_deref(),
            Some("https://cdn/x")
        );
        assert_eq!(
            resolve_url(base, "https://cdn/x").as_deref(),
            Some("https://cdn/x")
        );
        assert_eq!(
            resolve_url(base, "b.bin").as_deref(),
            Some("https://hub/org/m/resolve/main/b.bin")
        );
        assert_eq!(
            resolve_url(base, "javascript:x"),
            Some("https://hub/org/m/resolve/main/javascript:x".into())
        );
        assert_eq!(resolve_url(base, "a b"), None);
        assert_eq!(resolve_url(base, "https://u:p@cdn/"), None);
    }

    #[test]
    fn links_and_ranges() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<https://hub/api/x?cursor=a,b>; rel=\"prev\", <https://hub/api/x?cursor=2>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://hub/api/x?cursor=2"));
        let mut h = HeaderMap::new();
        h.insert("link", "<https://hub/a>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
        h.insert("link", "<unterminated".parse().unwrap());
        assert_eq!(next_link(&h), None);
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99)));
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
        assert_eq!(unquote_etag("W/\"abc\""), "abc");
    }

    #[test]
    fn offline_refuses_and_debug_hides_the_token() {
        let dir = std::path::Path::new("/nonexistent");
        let cfg = HubConfig::for_endpoint("http://127.0.0.1:9", dir)
            .with_token(Token::new("hf_topsecret").unwrap());
        let mut offline = cfg.clone();
        offline.offline = true;
        let c = HubClient::new(&offline).unwrap();
        let e = c
            .resolve_listing(&RepoRef::parse("org/name").unwrap())
            .unwrap_err();
        assert_eq!(e.kind, HubErrorKind::Offline);
        assert!(!format!("{c:?}").contains("topsecret"));
        let bad = HubConfig::for_endpoint("file:///x", dir);
        assert_eq!(
            HubClient::new(&bad).unwrap_err().kind,
            HubErrorKind::Invalid
        );
    }
}
