//! Greedy k-center coreset (PatchCore's subsampling): farthest-point sampling picks, one
//! at a time, the point farthest from everything picked so far.
//!
//! Distances are measured in a seeded Johnson–Lindenstrauss projection
//! ([`RandomProjection`], 128 dims by default) when that is smaller than the input. The
//! selection is exact farthest-point sampling in that space: each picked point ("center")
//! owns the points nearest to it, and a new center `z` is compared only against points of
//! clusters it could take over; cluster `c` of radius `r_c` is skipped when
//! `‖c − z‖ ≥ 2 r_c`, which by the triangle inequality cannot change any of its points'
//! nearest-center distance. Each cluster keeps its members' coordinates contiguous, so a
//! scan streams memory; clusters are updated in parallel (rayon), large ones in parallel
//! chunks. Memory: one copy of the (projected) points plus the centers.
//!
//! Always holds:
//! - indices are distinct, in selection order, and the first is drawn from the seed; for
//!   a given seed and projection the result for `n` is the prefix of the result for
//!   `n + 1`;
//! - [`Coreset::pick_distances`] is non-increasing after the first entry (`+inf`): entry
//!   `i` is the covering radius of the first `i` picks, i.e. the largest distance of any
//!   point to its nearest earlier pick;
//! - when every remaining point duplicates a pick (covering radius 0) the lowest
//!   unpicked index is taken, so `n` may go up to the number of points.

use rayon::prelude::*;

use super::projection::RandomProjection;
use super::rng::SeededRng;
use super::BankError;
use edge::bank::check_rows;
use edge::bank::kernels::sq_l2;

/// Projection size PatchCore uses for the selection.
pub const DEFAULT_PROJECTION_DIM: usize = 128;
/// PatchCore's default coreset fraction, 10%.
pub const DEFAULT_CORESET_FRACTION: f32 = 0.1;

/// How many points a coreset keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CoresetSize {
    /// Exactly this many points, `1..=N`.
    Count(usize),
    /// This fraction of the `N` points, in `(0, 1]`, rounded to nearest and at least 1.
    Fraction(f32),
}

impl Default for CoresetSize {
    fn default() -> Self {
        CoresetSize::Fraction(DEFAULT_CORESET_FRACTION)
    }
}

impl CoresetSize {
    /// The point count for a set of `available` points.
    pub fn resolve(self, available: usize) -> Result<usize, BankError> {
        let requested = match self {
            CoresetSize::Count(n) => n,
            CoresetSize::Fraction(f) => {
                if !(f > 0.0 && f <= 1.0) {
                    return Err(BankError::CoresetFraction(f));
                }
                ((available as f64 * f64::from(f)).round() as usize).max(1)
            }
        };
        if requested == 0 || requested > available {
            return Err(BankError::CoresetSize {
                requested,
                available,
            });
        }
        Ok(requested)
    }
}

/// Settings of [`greedy_coreset`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoresetConfig {
    /// Points to keep (default 10%).
    pub size: CoresetSize,
    /// Dimension of the random projection the distances are measured in; `None`, or a
    /// value ≥ the input dimension, measures exact distances (default 128).
    pub projection_dim: Option<usize>,
    /// Seeds the projection matrix and the start point.
    pub seed: u64,
}

impl Default for CoresetConfig {
    fn default() -> Self {
        CoresetConfig {
            size: CoresetSize::default(),
            projection_dim: Some(DEFAULT_PROJECTION_DIM),
            seed: 0,
        }
    }
}

/// The selected points.
#[derive(Debug, Clone, PartialEq)]
pub struct Coreset {
    /// Row indices into the input, distinct, in selection order.
    pub indices: Vec<usize>,
    /// `pick_distances[i]`: distance (in the selection space) of pick `i` to its nearest
    /// earlier pick = covering radius of picks `0..i`; `+inf` for the first.
    pub pick_distances: Vec<f32>,
    /// Covering radius of the whole coreset: largest distance of any input point to its
    /// nearest pick (selection space).
    pub covering_radius: f32,
}

impl AsRef<[usize]> for Coreset {
    /// The picked row indices, so `F32Bank::from_coreset(data, dim, &coreset)` works.
    fn as_ref(&self) -> &[usize] {
        &self.indices
    }
}

/// Selects a greedy k-center coreset of the rows of `data` (`N × dim`, row-major, finite).
///
/// `progress(done, total)` is called after each pick (on the calling thread), e.g. to
/// drive a progress bar.
///
/// # Errors
/// Shape and finiteness problems, a size outside `1..=N` or a fraction outside `(0, 1]`,
/// a zero projection dimension.
pub fn greedy_coreset(
    data: &[f32],
    dim: usize,
    config: &CoresetConfig,
    mut progress: impl FnMut(usize, usize),
) -> Result<Coreset, BankError> {
    let rows = check_rows(data, dim)?;
    let target = config.size.resolve(rows)?;
    if config.projection_dim == Some(0) {
        return Err(BankError::InvalidParameter {
            name: "projection_dim",
            value: 0.0,
            hint: "use None for exact distances or ≥ 1 (PatchCore uses 128)",
        });
    }
    let (space, space_dim) = match config.projection_dim {
        Some(p) if p < dim => (RandomProjection::new(dim, p, config.seed).project(data), p),
        _ => (data.to_vec(), dim),
    };
    let start = SeededRng::derived(config.seed, 0x5354_4152).below(rows);
    Ok(farthest_points(
        space,
        space_dim,
        target,
        start,
        &mut progress,
    ))
}

/// The points closest to one center: ids, squared distances to the center and their
/// coordinates (contiguous, so scanning a cluster streams memory).
struct Cluster {
    ids: Vec<u32>,
    d2: Vec<f32>,
    coords: Vec<f32>,
    /// Largest member distance² and the member position holding it.
    radius2: f32,
    farthest: usize,
}

impl Cluster {
    fn empty() -> Self {
        Cluster {
            ids: Vec::new(),
            d2: Vec::new(),
            coords: Vec::new(),
            radius2: 0.0,
            farthest: 0,
        }
    }

    fn refresh(&mut self) {
        let (mut r2, mut far) = (0.0f32, 0usize);
        for (p, &d2) in self.d2.iter().enumerate() {
            if d2 > r2 {
                r2 = d2;
                far = p;
            }
        }
        self.radius2 = r2;
        self.farthest = far;
    }

    fn append(&mut self, other: Cluster) {
        self.ids.extend_from_slice(&other.ids);
        self.d2.extend_from_slice(&other.d2);
        self.coords.extend_from_slice(&other.coords);
    }

    /// Moves every member strictly closer to `z` than to its center out into the returned
    /// cluster (with its new distance²); refreshes the radius.
    fn give_to(&mut self, z: &[f32], d: usize) -> Option<Cluster> {
        // Mark members that move by storing their new distance² as `-d² - 1`.
        let update = |(c, d2): (&[f32], &mut f32)| {
            let dz = sq_l2(c, z);
            if dz < *d2 {
                *d2 = -dz - 1.0;
            }
        };
        if self.ids.len() > PARALLEL_MEMBERS {
            self.coords
                .par_chunks(d * 1024)
                .zip(self.d2.par_chunks_mut(1024))
                .for_each(|(c, d2)| c.chunks_exact(d).zip(d2.iter_mut()).for_each(update));
        } else {
            self.coords
                .chunks_exact(d)
                .zip(self.d2.iter_mut())
                .for_each(update);
        }
        let mut moved = Cluster::empty();
        let mut kept = 0;
        for p in 0..self.ids.len() {
            let d2 = self.d2[p];
            if d2 < 0.0 {
                moved.ids.push(self.ids[p]);
                moved.d2.push(-d2 - 1.0);
                moved
                    .coords
                    .extend_from_slice(&self.coords[p * d..(p + 1) * d]);
            } else {
                if kept != p {
                    self.ids[kept] = self.ids[p];
                    self.d2[kept] = d2;
                    self.coords.copy_within(p * d..(p + 1) * d, kept * d);
                }
                kept += 1;
            }
        }
        self.ids.truncate(kept);
        self.d2.truncate(kept);
        self.coords.truncate(kept * d);
        if self.coords.capacity() > 4 * self.coords.len() + 4096 {
            self.ids.shrink_to_fit();
            self.d2.shrink_to_fit();
            self.coords.shrink_to_fit();
        }
        self.refresh();
        (!moved.ids.is_empty()).then_some(moved)
    }
}

/// Members above this count are scanned in parallel chunks.
const PARALLEL_MEMBERS: usize = 8192;

/// Exact farthest-point sampling of `target` rows of `space` (`N × d`) from `start`.
fn farthest_points(
    space: Vec<f32>,
    d: usize,
    target: usize,
    start: usize,
    progress: &mut impl FnMut(usize, usize),
) -> Coreset {
    let rows = space.len() / d;
    let mut picked = vec![false; rows];
    let mut indices = Vec::with_capacity(target);
    let mut pick_distances = Vec::with_capacity(target);
    let mut center_coords: Vec<f32> = Vec::with_capacity(target * d);
    let mut center_d2: Vec<f32> = Vec::with_capacity(target);
    let mut next_unpicked = 0usize;

    // First pick: one cluster owning every point.
    center_coords.extend_from_slice(&space[start * d..(start + 1) * d]);
    let mut first = Cluster {
        ids: (0..rows as u32).collect(),
        d2: vec![0.0; rows],
        coords: space,
        radius2: 0.0,
        farthest: 0,
    };
    first
        .coords
        .par_chunks(d * 1024)
        .zip(first.d2.par_chunks_mut(1024))
        .for_each(|(c, out)| {
            for (x, o) in c.chunks_exact(d).zip(out) {
                *o = sq_l2(x, &center_coords[..d]);
            }
        });
    first.refresh();
    let mut clusters = vec![first];
    picked[start] = true;
    indices.push(start);
    pick_distances.push(f32::INFINITY);
    progress(1, target);

    let mut zc = vec![0.0f32; d];
    while indices.len() < target {
        let (best, radius2) =
            clusters
                .iter()
                .enumerate()
                .fold((0usize, -1.0f32), |acc, (c, cl)| {
                    if cl.radius2 > acc.1 {
                        (c, cl.radius2)
                    } else {
                        acc
                    }
                });
        let z = if radius2 > 0.0 {
            let cl = &clusters[best];
            zc.copy_from_slice(&cl.coords[cl.farthest * d..(cl.farthest + 1) * d]);
            cl.ids[cl.farthest] as usize
        } else {
            // Everything left duplicates a pick: take the lowest unpicked index. Its
            // coordinates equal its center's, and no point can move (radius 0).
            while picked[next_unpicked] {
                next_unpicked += 1;
            }
            next_unpicked
        };
        picked[z] = true;
        indices.push(z);
        pick_distances.push(radius2.max(0.0).sqrt());
        if radius2 <= 0.0 {
            // Coverage is complete: the new center owns nothing; its coordinates are
            // never compared because every cluster has radius 0.
            center_coords.extend_from_slice(&zc);
            clusters.push(Cluster::empty());
            progress(indices.len(), target);
            continue;
        }

        // Squared distance from z to every center, then the clusters z may take from:
        // ‖c − z‖ < 2 r_c (otherwise the triangle inequality rules every member out).
        center_d2.clear();
        center_d2.par_extend(center_coords.par_chunks(d).map(|c| sq_l2(c, &zc)));
        let taken: Vec<Cluster> = clusters
            .par_iter_mut()
            .zip(center_d2.par_iter())
            .filter_map(|(cl, &dc)| {
                if cl.radius2 <= 0.0 || dc >= 4.0 * cl.radius2 {
                    return None;
                }
                cl.give_to(&zc, d)
            })
            .collect();
        let mut cluster = Cluster::empty();
        for part in taken {
            cluster.append(part);
        }
        cluster.refresh();
        clusters.push(cluster);
        center_coords.extend_from_slice(&zc);
        progress(indices.len(), target);
    }
    let covering_radius = clusters
        .iter()
        .map(|c| c.radius2)
        .fold(0.0f32, f32::max)
        .sqrt();
    Coreset {
        indices,
        pick_distances,
        covering_radius,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Textbook O(N·n) farthest-point sampling.
    fn naive(data: &[f32], dim: usize, n: usize, start: usize) -> Vec<usize> {
        let rows = data.len() / dim;
        let mut best = vec![f32::INFINITY; rows];
        let mut out = vec![start];
        while out.len() < n {
            let last = *out.last().unwrap();
            for i in 0..rows {
                best[i] = best[i].min(sq_l2(
                    &data[i * dim..(i + 1) * dim],
                    &data[last * dim..(last + 1) * dim],
                ));
            }
            let mut arg = 0;
            for i in 0..rows {
                if best[i] > best[arg] {
                    arg = i;
                }
            }
            out.push(arg);
        }
        out
    }

    #[test]
    fn pruned_selection_equals_naive_farthest_point_sampling() {
        let mut rng = SeededRng::new(11);
        let dim = 6;
        let data: Vec<f32> = (0..dim * 3000).map(|_| rng.normal() as f32).collect();
        let config = CoresetConfig {
            size: CoresetSize::Count(200),
            projection_dim: None,
            seed: 4,
        };
        let c = greedy_coreset(&data, dim, &config, |_, _| {}).unwrap();
        assert_eq!(c.indices, naive(&data, dim, 200, c.indices[0]));
    }

    #[test]
    fn duplicates_still_give_distinct_indices_up_to_all_points() {
        let data = vec![1.0f32; 4 * 10];
        let config = CoresetConfig {
            size: CoresetSize::Count(10),
            projection_dim: None,
            seed: 0,
        };
        let c = greedy_coreset(&data, 4, &config, |_, _| {}).unwrap();
        let mut s = c.indices.clone();
        s.sort_unstable();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
        assert_eq!(c.covering_radius, 0.0);
    }

    #[test]
    fn sizes_are_resolved_and_checked() {
        assert_eq!(CoresetSize::default().resolve(1000), Ok(100));
        assert_eq!(CoresetSize::Fraction(0.0001).resolve(10), Ok(1));
        assert!(CoresetSize::Fraction(0.0).resolve(10).is_err());
        assert!(CoresetSize::Fraction(f32::NAN).resolve(10).is_err());
        assert!(CoresetSize::Count(11).resolve(10).is_err());
        assert!(CoresetSize::Count(0).resolve(10).is_err());
    }
}
