//! The validator thread: takes a request to look at the bundle file, answers with a
//! [`Outcome`]. One request at a time (the loop sends the next only after the answer),
//! so validations never pile up. A panic while validating is caught and becomes a
//! refusal: a hostile file must not take the validator down with it.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread;

use super::validate::{BundleValidator, Candidate, Refusal};

/// What the loop asks.
pub(super) struct Request {
    /// The running model's hash: the same content is no change.
    pub(super) running: String,
    /// Hashes refused or rolled back before: not tried again.
    pub(super) banned: Vec<String>,
}

/// What the validator answers.
pub(super) enum Outcome {
    /// The file holds the running bundle.
    Unchanged,
    /// The file holds a bundle refused or rolled back before.
    Banned(String),
    /// Passed: swap it in.
    Ready(Box<Candidate>),
    /// Refused (with its hash when the file could be read).
    Refused(Option<String>, Refusal),
}

/// The loop's end of the validator thread.
pub(super) struct Worker {
    requests: Sender<Request>,
    outcomes: Receiver<Outcome>,
}

impl Worker {
    /// Starts the thread validating `path` with `validator`.
    pub(super) fn start(path: PathBuf, validator: BundleValidator) -> std::io::Result<Self> {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (outbox, outcomes) = mpsc::channel();
        thread::Builder::new()
            .name("bundle-validator".into())
            .spawn(move || {
                // Ends when the loop's end is dropped.
                for request in inbox {
                    if outbox.send(answer(&path, &validator, &request)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self { requests, outcomes })
    }

    /// Hands a request over; `false` if the thread is gone.
    pub(super) fn send(&self, request: Request) -> bool {
        self.requests.send(request).is_ok()
    }

    /// The answer, if there is one yet (`wait`: block for it). `Err` if the thread is
    /// gone.
    pub(super) fn receive(&self, wait: bool) -> Result<Option<Outcome>, ()> {
        if wait {
            return self.outcomes.recv().map(Some).map_err(|_| ());
        }
        match self.outcomes.try_recv() {
            Ok(outcome) => Ok(Some(outcome)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(()),
        }
    }
}

fn answer(path: &std::path::Path, validator: &BundleValidator, request: &Request) -> Outcome {
    let (bytes, sha256) = match BundleValidator::read(path) {
        Ok(read) => read,
        Err(refusal) => return Outcome::Refused(None, refusal),
    };
    if sha256 == request.running {
        return Outcome::Unchanged;
    }
    if request.banned.contains(&sha256) {
        return Outcome::Banned(sha256);
    }
    let hash = sha256.clone();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        validator.validate(path, &bytes, sha256)
    }));
    match result {
        Ok(Ok(candidate)) => Outcome::Ready(Box::new(candidate)),
        Ok(Err(refusal)) => Outcome::Refused(Some(hash), refusal),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Outcome::Refused(
                Some(hash),
                Refusal::Panicked {
                    path: path.to_path_buf(),
                    message,
                },
            )
        }
    }
}
