//! [`HotSwap`]: the model the loop runs, swappable between two parts; see the
//! [module docs](super) for what always holds.
//!
//! Between two parts ([`Inspect::between_parts`]) it, in this order: settles a finished
//! probation (keep the new model, or roll back to the previous one); polls the bundle
//! file (every `poll_interval_us`) and the reload flag (SIGHUP); hands a change to the
//! validator thread unless a validation is in flight or a model is on probation (the
//! change then waits its turn); and takes a validator answer if there is one, swapping
//! a ready model in at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use image::RgbImage;

use super::probation::{Probation, ProbationState};
use super::validate::{BundleValidator, DryRunReport};
use super::watch::BundleWatcher;
use super::worker::{Outcome, Request, Worker};
use crate::board::DeployProfile;
use crate::clock::SharedClock;
use crate::inspector::{Inspector, InspectorError};
use crate::station::inspect::BundleTag;
use crate::station::{Inspect, InspectOutcome, Observer};

/// How often `edge run` looks at the bundle file, µs.
pub const DEFAULT_POLL_INTERVAL_US: u64 = 500_000;

/// Hashes refused or rolled back that are remembered (oldest forgotten first).
const BANNED_KEPT: usize = 64;

/// How [`HotSwap`] runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HotSwapOptions {
    /// Poll the bundle file for changes (the reload flag works either way).
    pub watch: bool,
    /// Least time between two polls, µs, on the loop's clock (0: every part).
    pub poll_interval_us: u64,
    /// Parts a new model is on probation.
    pub probation_parts: u64,
    /// Reject rate over the probation above which the new model is rolled back.
    pub max_reject_rate: f64,
    /// Wait for the validator's answer before the next part instead of polling for it:
    /// replays and tests, so that where a swap lands does not depend on thread timing.
    /// Never on a line (the loop would stall for a validation).
    pub await_validation: bool,
}

impl HotSwapOptions {
    /// The profile's `[deploy]` section; `watch` overrides its `watch` (`edge run
    /// --watch` / `--no-watch`).
    #[must_use]
    pub fn from_profile(deploy: &DeployProfile, watch: Option<bool>) -> Self {
        Self {
            watch: watch.unwrap_or(deploy.watch),
            poll_interval_us: DEFAULT_POLL_INTERVAL_US,
            probation_parts: deploy.probation_parts,
            max_reject_rate: deploy.max_reject_rate,
            await_validation: false,
        }
    }
}

/// What hot deployment did in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeployCounts {
    /// New models swapped in.
    pub swaps: u64,
    /// Replacements refused (unreadable, corrupt, failed a check, the load or the dry run).
    pub refusals: u64,
    /// New models rolled back after their probation.
    pub rollbacks: u64,
}

/// One thing hot deployment did, in order (`HotSwap::events`).
#[derive(Clone, Debug, PartialEq)]
pub enum DeployEvent {
    /// A new model took over (on probation).
    Swapped {
        /// Its generation.
        generation: u32,
        /// Its bundle's SHA-256.
        sha256: String,
        /// Its dry run.
        dry_run: DryRunReport,
    },
    /// A replacement was refused; the running model goes on.
    Refused {
        /// Its SHA-256, when the file could be read.
        sha256: Option<String>,
        /// Why (the whole error chain).
        reason: String,
    },
    /// The file holds content refused or rolled back before: not tried again.
    Skipped {
        /// Its SHA-256.
        sha256: String,
    },
    /// The file changed but holds the running bundle.
    Unchanged,
    /// A model passed its probation; the previous one is released.
    Kept {
        /// Its generation.
        generation: u32,
        /// Rejects over the probation.
        rejects: u64,
        /// Parts of the probation.
        parts: u64,
    },
    /// A model failed its probation; the previous one inspects again.
    RolledBack {
        /// The bundle file.
        path: PathBuf,
        /// The failed model's SHA-256.
        bad_sha256: String,
        /// The failed model's generation.
        bad_generation: u32,
        /// Its rejects when it failed.
        rejects: u64,
        /// Parts it had scored.
        parts: u64,
        /// The generation the restored model inspects under.
        generation: u32,
        /// The restored model's SHA-256.
        sha256: String,
    },
    /// The validator thread is gone: no further swap this run.
    ValidatorGone,
}

/// The first 12 hex digits: enough to tell bundles apart in a message.
fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

impl fmt::Display for DeployEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Swapped {
                generation,
                sha256,
                dry_run,
            } => write!(
                f,
                "bundle {} swapped in as generation {generation} (on probation); {dry_run}",
                short(sha256)
            ),
            Self::Refused { sha256, reason } => write!(
                f,
                "swap refused{}: {reason}; the running model keeps inspecting",
                sha256
                    .as_deref()
                    .map_or(String::new(), |h| format!(" (bundle {})", short(h)))
            ),
            Self::Skipped { sha256 } => write!(
                f,
                "bundle {} was refused or rolled back before: not tried again until the file changes",
                short(sha256)
            ),
            Self::Unchanged => write!(f, "bundle file changed but holds the running bundle"),
            Self::Kept {
                generation,
                rejects,
                parts,
            } => write!(
                f,
                "generation {generation} passed its probation ({rejects} of {parts} parts rejected): \
                 previous model released"
            ),
            Self::RolledBack {
                path,
                bad_sha256,
                bad_generation,
                rejects,
                parts,
                generation,
                sha256,
            } => write!(
                f,
                "rolled back: bundle {} ({}, generation {bad_generation}) rejected {rejects} of \
                 its first {parts} parts, over the limit; bundle {} inspects again as generation \
                 {generation}",
                path.display(),
                bad_sha256,
                short(sha256)
            ),
            Self::ValidatorGone => write!(
                f,
                "the bundle validator thread stopped: no swap this run (the running model goes on)"
            ),
        }
    }
}

/// `error: source: source…`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

struct Model {
    inspector: Inspector,
    sha256: String,
    generation: u32,
}

/// See the [module docs](self).
pub struct HotSwap {
    path: PathBuf,
    clock: SharedClock,
    opts: HotSwapOptions,
    current: Model,
    /// The model before the current one, while the current one is on probation.
    previous: Option<Model>,
    probation: Option<Probation>,
    watcher: BundleWatcher,
    reload: Arc<AtomicBool>,
    next_poll_us: u64,
    worker: Option<Worker>,
    in_flight: bool,
    /// A change seen while it could not be handed on yet.
    wanted: bool,
    banned: Vec<String>,
    generations: u32,
    counts: DeployCounts,
    events: Vec<DeployEvent>,
}

impl fmt::Debug for HotSwap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotSwap")
            .field("path", &self.path)
            .field("sha256", &self.current.sha256)
            .field("generation", &self.current.generation)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl HotSwap {
    /// Runs `inspector`, read from the bundle at `path` whose SHA-256 is `sha256`;
    /// replacements are validated by `validator` on a thread of their own.
    ///
    /// # Errors
    /// The validator thread could not be started.
    pub fn new(
        inspector: Inspector,
        path: &Path,
        sha256: String,
        validator: BundleValidator,
        clock: SharedClock,
        opts: HotSwapOptions,
    ) -> std::io::Result<Self> {
        let worker = Worker::start(path.to_path_buf(), validator)?;
        let next_poll_us = clock.now_us();
        Ok(Self {
            path: path.to_path_buf(),
            clock,
            opts,
            current: Model {
                inspector,
                sha256,
                generation: 0,
            },
            previous: None,
            probation: None,
            watcher: BundleWatcher::new(path),
            reload: Arc::new(AtomicBool::new(false)),
            next_poll_us,
            worker: Some(worker),
            in_flight: false,
            wanted: false,
            banned: Vec::new(),
            generations: 0,
            counts: DeployCounts::default(),
            events: Vec::new(),
        })
    }

    /// Uses `flag` as the reload request (e.g. set by SIGHUP): when set, the file is
    /// looked at (and the flag cleared) at the next part, watched or not.
    #[must_use]
    pub fn with_reload_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.reload = flag;
        self
    }

    /// The reload request flag.
    #[must_use]
    pub fn reload_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.reload)
    }

    /// The model inspecting now.
    #[must_use]
    pub fn inspector(&self) -> &Inspector {
        &self.current.inspector
    }

    /// The running bundle's SHA-256 and generation.
    #[must_use]
    pub fn running(&self) -> BundleTag<'_> {
        BundleTag {
            sha256: &self.current.sha256,
            generation: self.current.generation,
        }
    }

    /// A model is on probation.
    #[must_use]
    pub fn on_probation(&self) -> bool {
        self.probation.is_some()
    }

    /// What happened so far, in order.
    #[must_use]
    pub fn events(&self) -> &[DeployEvent] {
        &self.events
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &HotSwapOptions {
        &self.opts
    }

    fn settle_probation(&mut self, observer: &mut dyn Observer) {
        let Some(probation) = self.probation else {
            return;
        };
        let (rejects, parts) = probation.tally();
        match probation.state() {
            ProbationState::Running => {}
            ProbationState::Passed => {
                self.probation = None;
                self.previous = None;
                let event = DeployEvent::Kept {
                    generation: self.current.generation,
                    rejects,
                    parts,
                };
                observer.notice(&event);
                self.events.push(event);
            }
            ProbationState::Failed => {
                self.probation = None;
                let Some(mut previous) = self.previous.take() else {
                    return;
                };
                self.generations += 1;
                previous.generation = self.generations;
                let bad = std::mem::replace(&mut self.current, previous);
                self.ban(bad.sha256.clone());
                self.counts.rollbacks += 1;
                let event = DeployEvent::RolledBack {
                    path: self.path.clone(),
                    bad_sha256: bad.sha256,
                    bad_generation: bad.generation,
                    rejects,
                    parts,
                    generation: self.current.generation,
                    sha256: self.current.sha256.clone(),
                };
                observer.warning(&event);
                self.events.push(event);
            }
        }
    }

    fn poll(&mut self) {
        if self.reload.swap(false, Ordering::SeqCst) {
            self.wanted = true;
        }
        if !self.opts.watch {
            return;
        }
        let now = self.clock.now_us();
        if now < self.next_poll_us {
            return;
        }
        self.next_poll_us = now.saturating_add(self.opts.poll_interval_us);
        if self.watcher.poll() {
            self.wanted = true;
        }
    }

    fn request(&mut self, observer: &mut dyn Observer) {
        let Some(worker) = &self.worker else {
            self.wanted = false;
            return;
        };
        let sent = worker.send(Request {
            running: self.current.sha256.clone(),
            banned: self.banned.clone(),
        });
        self.wanted = false;
        if sent {
            self.in_flight = true;
        } else {
            self.validator_gone(observer);
        }
    }

    fn collect(&mut self, observer: &mut dyn Observer) {
        let Some(worker) = &self.worker else {
            return;
        };
        match worker.receive(self.opts.await_validation) {
            Ok(None) => {}
            Ok(Some(outcome)) => {
                self.in_flight = false;
                self.take(outcome, observer);
            }
            Err(()) => self.validator_gone(observer),
        }
    }

    fn take(&mut self, outcome: Outcome, observer: &mut dyn Observer) {
        let event = match outcome {
            Outcome::Unchanged => DeployEvent::Unchanged,
            Outcome::Banned(sha256) => DeployEvent::Skipped { sha256 },
            Outcome::Refused(sha256, refusal) => {
                self.counts.refusals += 1;
                if let Some(h) = &sha256 {
                    self.ban(h.clone());
                }
                let event = DeployEvent::Refused {
                    sha256,
                    reason: chain(&refusal),
                };
                observer.warning(&event);
                self.events.push(event);
                return;
            }
            Outcome::Ready(candidate) => {
                let candidate = *candidate;
                self.generations += 1;
                let model = Model {
                    inspector: candidate.inspector,
                    sha256: candidate.sha256.clone(),
                    generation: self.generations,
                };
                self.previous = Some(std::mem::replace(&mut self.current, model));
                self.probation = Some(Probation::new(
                    self.opts.probation_parts,
                    self.opts.max_reject_rate,
                ));
                self.counts.swaps += 1;
                DeployEvent::Swapped {
                    generation: self.generations,
                    sha256: candidate.sha256,
                    dry_run: candidate.dry_run,
                }
            }
        };
        observer.notice(&event);
        self.events.push(event);
    }

    fn ban(&mut self, sha256: String) {
        if !self.banned.contains(&sha256) {
            if self.banned.len() >= BANNED_KEPT {
                self.banned.remove(0);
            }
            self.banned.push(sha256);
        }
    }

    fn validator_gone(&mut self, observer: &mut dyn Observer) {
        self.worker = None;
        self.in_flight = false;
        let event = DeployEvent::ValidatorGone;
        observer.warning(&event);
        self.events.push(event);
    }
}

impl Inspect for HotSwap {
    fn inspect_frame(&mut self, frame: &RgbImage) -> Result<InspectOutcome, InspectorError> {
        let outcome = self.current.inspector.inspect_frame(frame);
        if let Some(probation) = &mut self.probation {
            // The part is rejected for an error or a non-finite score as for a defect.
            let rejected = match &outcome {
                Ok(o) => o.anomalous || !(o.raw_score.is_finite() && o.normalised.is_finite()),
                Err(_) => true,
            };
            probation.count(rejected);
        }
        outcome
    }

    fn between_parts(&mut self, observer: &mut dyn Observer) {
        self.settle_probation(observer);
        self.poll();
        if self.wanted && !self.in_flight && self.probation.is_none() {
            self.request(observer);
        }
        if self.in_flight {
            self.collect(observer);
        }
    }

    fn bundle_tag(&self) -> Option<BundleTag<'_>> {
        Some(self.running())
    }

    fn deploy_counts(&self) -> DeployCounts {
        self.counts
    }
}
