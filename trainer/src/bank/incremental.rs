//! Incremental update of a global memory bank for retraining: patches of newly confirmed
//! good frames extend the bank; the old training set is never needed again.
//!
//! Selection is greedy k-center continued from the old bank: every new patch starts at
//! its distance to the nearest old entry, the farthest one is added, distances shrink,
//! and so on, until the farthest remaining patch is within the old bank's *coverage
//! radius* or the budget is spent. The coverage radius is the smallest non-zero distance
//! between two old entries: for a greedy coreset this equals the final covering radius
//! of its selection (each pick is at least that far from every earlier one, and the last
//! pick is exactly that far), so a new patch inside it is as well covered as the old
//! training patches were, and near-duplicates of what the bank holds are not added.
//!
//! Always holds: the first `old.len()` entries of the result are the old entries in the
//! old order; an f32 bank keeps their values bit for bit; an int8 bank keeps their codes
//! bit for bit when its per-dimension codec range covers every added entry
//! ([`Codes::Kept`]); otherwise the codec is refitted over the dequantised old entries and
//! the new ones, old entries are re-encoded from their dequantised values and the largest
//! change of any old value is reported ([`Codes::Widened`]). The result never exceeds
//! `max_entries`.
//!
//! An inverted-file bank ([`IvfBank`]) is extended like an int8 bank, then re-indexed with
//! its old centroids and probes: every entry, old and new, joins its nearest centroid's
//! list, so the old entries keep their codes (as above) but not their positions (the
//! index stores entries list-major).

use rayon::prelude::*;

use super::{
    check_rows, kernels::sq_l2, BankError, BankModel, F32Bank, Int8Bank, Int8Codec, IvfBank,
    NearestNeighbours,
};

/// How many entries an update may add.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtendConfig {
    /// Most entries added, as a share of the new patches (the fit's coreset fraction).
    pub fraction: f32,
    /// Upper bound on the whole bank's entries, old ones included; `None`: no bound.
    pub max_entries: Option<usize>,
}

/// What happened to an int8 bank's codes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Codes {
    /// An f32 bank: values appended, nothing re-encoded.
    F32,
    /// The codec's range covered the new entries: old codes untouched.
    Kept,
    /// New entries fell outside the codec's range: the codec was widened and the old
    /// entries re-encoded from their dequantised values.
    Widened {
        /// Largest |new − old| dequantised value over all old entries (feature units).
        max_old_change: f32,
    },
}

/// An extended bank and how it was built.
#[derive(Debug, Clone)]
pub struct Extended {
    /// The new bank (old entries first).
    pub model: BankModel,
    /// Entries of the old bank.
    pub old_entries: usize,
    /// Entries added.
    pub added: usize,
    /// New patches considered.
    pub candidates: usize,
    /// The old bank's coverage radius (see the [module docs](self)).
    pub coverage_radius: f32,
    /// Distance of the farthest new patch from the extended bank (≤ the radius unless the
    /// budget ran out).
    pub farthest_remaining: f32,
    /// What happened to the codes.
    pub codes: Codes,
}

/// Why a bank could not be extended.
#[derive(Debug, thiserror::Error)]
pub enum ExtendError {
    /// Per-location banks and Gaussians are not extended incrementally.
    #[error(
        "the bundle's model is a {0}: incremental retraining extends a global memory bank \
         only (a per-location bank's entries or a Gaussian's moments cannot take new \
         frames without the old training set); refit it with `trainer fit` on old and new \
         good images"
    )]
    NotGlobal(&'static str),
    /// The bank already holds `max_entries` or more.
    #[error(
        "the bank already holds {entries} entries, the cap is {max}: raise --max-entries \
         or refit with `trainer fit`"
    )]
    Full {
        /// Entries in the old bank.
        entries: usize,
        /// The cap.
        max: usize,
    },
    /// Shape or numerical problem in the new patches.
    #[error(transparent)]
    Bank(#[from] BankError),
}

/// Extends `old` with a selection of `patches` (`N × dim`, row-major); see the
/// [module docs](self).
///
/// # Errors
/// [`ExtendError::NotGlobal`] for position/Gaussian models, [`ExtendError::Full`],
/// shape/finiteness problems of `patches`.
pub fn extend_bank(
    old: &BankModel,
    patches: &[f32],
    config: &ExtendConfig,
) -> Result<Extended, ExtendError> {
    let bank: &dyn NearestNeighbours = match old {
        BankModel::F32(b) => b,
        BankModel::Int8(b) => b,
        // Coverage and distances exactly, by brute force over the index's entries.
        BankModel::Ivf(b) => b.bank(),
        BankModel::Position(_) => return Err(ExtendError::NotGlobal("per-location bank")),
        BankModel::Gaussian(_) => return Err(ExtendError::NotGlobal("Gaussian model")),
        BankModel::Direct(_) => return Err(ExtendError::NotGlobal("teacher–student model")),
    };
    let dim = bank.dim();
    let candidates = check_rows(patches, dim)?;
    let old_entries = bank.len();
    let room = match config.max_entries {
        Some(max) if old_entries >= max => {
            return Err(ExtendError::Full {
                entries: old_entries,
                max,
            })
        }
        Some(max) => max - old_entries,
        None => usize::MAX,
    };
    let budget = ((config.fraction.clamp(0.0, 1.0) as f64 * candidates as f64).round() as usize)
        .max(1)
        .min(room);

    let old_rows = bank.entries();
    let coverage_radius = coverage_radius(bank, &old_rows)?;
    let mut distance = bank.search(patches, 1)?.distances;
    let mut picks = Vec::new();
    let farthest_remaining = loop {
        let (far, d) = farthest(&distance);
        if d <= coverage_radius || picks.len() == budget {
            break d;
        }
        picks.push(far);
        let pick = &patches[far * dim..(far + 1) * dim];
        distance
            .par_iter_mut()
            .zip(patches.par_chunks_exact(dim))
            .for_each(|(d, row)| *d = d.min(sq_l2(row, pick).sqrt()));
    };

    let added_rows: Vec<f32> = picks
        .iter()
        .flat_map(|&i| patches[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let (model, codes) = match old {
        _ if picks.is_empty() => (
            old.clone(),
            match old {
                BankModel::F32(_) => Codes::F32,
                _ => Codes::Kept,
            },
        ),
        BankModel::F32(_) => {
            let all = [old_rows.as_slice(), &added_rows].concat();
            (BankModel::F32(F32Bank::new(all, dim)?), Codes::F32)
        }
        BankModel::Int8(b) => {
            let (bank, codes) = append_int8(b, &old_rows, &added_rows)?;
            (BankModel::Int8(bank), codes)
        }
        BankModel::Ivf(b) => {
            let (bank, codes) = append_int8(b.bank(), &old_rows, &added_rows)?;
            let ivf = IvfBank::from_parts(&bank, &b.centroids(), b.probes())?;
            (BankModel::Ivf(ivf), codes)
        }
        BankModel::Position(_) | BankModel::Gaussian(_) | BankModel::Direct(_) => {
            unreachable!("refused above")
        }
    };
    Ok(Extended {
        model,
        old_entries,
        added: picks.len(),
        candidates,
        coverage_radius,
        farthest_remaining,
        codes,
    })
}

/// `old` (whose dequantised entries are `old_rows`) with `added_rows` appended: with its
/// own codec when that covers them, else with a codec refitted over both.
fn append_int8(
    old: &Int8Bank,
    old_rows: &[f32],
    added_rows: &[f32],
) -> Result<(Int8Bank, Codes), BankError> {
    if old.codec().covers(added_rows) {
        return Ok((old.with_appended(added_rows)?, Codes::Kept));
    }
    let dim = old.dim();
    let all = [old_rows, added_rows].concat();
    let codec = Int8Codec::fit(&all, dim)?;
    let widened = Int8Bank::with_codec(&F32Bank::new(all, dim)?, codec)?;
    let max_old_change = (0..old.len())
        .filter_map(|j| widened.entry(j))
        .flatten()
        .zip(old_rows)
        .map(|(new, old)| (new - old).abs())
        .fold(0.0f32, f32::max);
    Ok((widened, Codes::Widened { max_old_change }))
}

/// Smallest non-zero distance from an entry to another entry (0 for a one-entry bank or
/// one of duplicates only).
fn coverage_radius(bank: &dyn NearestNeighbours, rows: &[f32]) -> Result<f32, BankError> {
    if bank.len() < 2 {
        return Ok(0.0);
    }
    // The nearest entry of an entry is itself (distance 0); the second is its neighbour.
    let neighbours = bank.search(rows, 2)?;
    let smallest = neighbours
        .distances
        .chunks_exact(2)
        .map(|d| d[1])
        .filter(|&d| d > 0.0)
        .fold(f32::INFINITY, f32::min);
    Ok(if smallest.is_finite() { smallest } else { 0.0 })
}

/// Index and value of the largest distance (lowest index on ties).
fn farthest(distance: &[f32]) -> (usize, f32) {
    distance
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, d)| {
            if d > best.1 {
                (i, d)
            } else {
                best
            }
        })
}
