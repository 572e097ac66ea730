//! Inverted-file (IVF) search over an int8 memory bank: the global bank's entries are
//! grouped into `lists` clusters around centroids (k-means, fitted by the trainer); a
//! query scans only the lists of its `probes` nearest centroids instead of the whole
//! bank. With the default ~2√N lists and 8 probes this is ~10× fewer multiply-
//! accumulates than brute force, which is what brings the global PatchCore bank under the
//! frame budget on the device.
//!
//! The search is approximate: a query whose true nearest entry sits in an unprobed list
//! gets the distance to the nearest entry of the probed ones. Every reported distance is
//! the exact distance to a real (dequantized) entry, so it is never below the true
//! nearest-neighbour distance: an anomalous patch never looks more normal than it is. The trainer calibrates and evaluates through
//! this same search, so the bundle's thresholds and the reported accuracy already include
//! that cost.
//!
//! How a chunk of queries is searched: each query is encoded once (as for [`Int8Bank`]);
//! an integer scan over the centroids (coded with the bank's codec) picks its `probes`
//! nearest lists; the queries are then bucketed per list, so every probed list streams
//! once for all its queries, [`QUERY_BLOCK`] at a time, through the same integer kernel as
//! brute force; the candidates are re-ranked exactly on their dequantized entries.
//!
//! Always holds: entries are stored list-major (list `l` holds rows
//! `ends[l-1]..ends[l]`), so indices returned by the search are positions in that order;
//! lists are scanned in ascending order, so ties go to the lower index as in brute force;
//! a query whose probed lists hold fewer than `k` entries is answered by scanning the
//! whole bank; results do not depend on the number of threads (fixed chunks of
//! [`IVF_QUERY_CHUNK`] queries).

use std::ops::Range;

use super::search::{
    search_in_chunks, F32Bank, Int8Bank, NearestNeighbours, Prepared, Scratch, QUERY_BLOCK,
    RERANK_EXTRA,
};
use super::shape::check_rows;
use super::BankError;

/// Queries per parallel job: large enough that each probed list is scanned for a full
/// block of queries on average (the job streams each list it probes once).
pub const IVF_QUERY_CHUNK: usize = 256;

/// An int8 memory bank with an inverted-file index.
#[derive(Debug, Clone, PartialEq)]
pub struct IvfBank {
    /// All entries, list-major.
    pub(crate) bank: Int8Bank,
    /// One centroid per list, coded with `bank`'s codec.
    pub(crate) centroids: Int8Bank,
    /// `ends[l]`: one past the last row of list `l`; the last equals the bank's length.
    pub(crate) ends: Vec<u32>,
    /// Lists scanned per query.
    pub(crate) probes: usize,
}

fn check_probes(probes: usize, lists: usize) -> Result<(), BankError> {
    if probes == 0 || probes > lists {
        return Err(BankError::InvalidParameter {
            name: "probes",
            value: probes as f64,
            hint: "use 1..=lists (more probes: closer to brute force, slower)",
        });
    }
    Ok(())
}

impl IvfBank {
    /// Indexes `bank` with the given centroids (`lists × dim`, finite): every entry joins
    /// the list of its nearest centroid (exact distance between dequantized values; ties
    /// to the lower list), keeping its relative order within the list. The centroids are
    /// coded with the bank's codec.
    ///
    /// # Errors
    /// Shape or finiteness problems of `centroids`, `probes` outside `1..=lists`.
    pub fn from_parts(
        bank: &Int8Bank,
        centroids: &[f32],
        probes: usize,
    ) -> Result<Self, BankError> {
        let dim = bank.dim();
        let lists = check_rows(centroids, dim)?;
        check_probes(probes, lists)?;
        let centroids =
            Int8Bank::with_codec(&F32Bank::new(centroids.to_vec(), dim)?, bank.codec.clone())?;
        let home = F32Bank::new(centroids.entries(), dim)?
            .search(&bank.entries(), 1)?
            .indices;
        let mut order: Vec<usize> = (0..bank.len()).collect();
        order.sort_by_key(|&j| home[j]);
        let mut codes = Vec::with_capacity(bank.len() * dim);
        for &j in &order {
            codes.extend_from_slice(bank.codes(j).unwrap_or_default());
        }
        let mut ends = vec![0u32; lists];
        for &l in &home {
            ends[l as usize] += 1;
        }
        let mut end = 0;
        for e in &mut ends {
            end += *e;
            *e = end;
        }
        Ok(IvfBank {
            bank: Int8Bank::from_codes(bank.codec.clone(), &codes),
            centroids,
            ends,
            probes,
        })
    }

    /// The entries as one int8 bank, list-major (the order search results index).
    pub fn bank(&self) -> &Int8Bank {
        &self.bank
    }

    /// Number of lists.
    pub fn lists(&self) -> usize {
        self.ends.len()
    }

    /// Lists scanned per query.
    pub fn probes(&self) -> usize {
        self.probes
    }

    /// The same index searched with another number of probes.
    ///
    /// # Errors
    /// `probes` outside `1..=lists`.
    pub fn with_probes(mut self, probes: usize) -> Result<Self, BankError> {
        check_probes(probes, self.lists())?;
        self.probes = probes;
        Ok(self)
    }

    /// Bank rows of list `l`.
    pub fn list(&self, l: usize) -> Range<usize> {
        let start = if l == 0 { 0 } else { self.ends[l - 1] as usize };
        start..self.ends[l] as usize
    }

    /// The centroids as f32 (dequantized), `lists × dim`.
    pub fn centroids(&self) -> Vec<f32> {
        self.centroids.entries()
    }

    /// Serialised size in bytes (see [`super::codec`]).
    pub fn byte_size(&self) -> usize {
        super::codec::IVF_BANK_HEADER
            + self.bank.codec.byte_size()
            + self.lists() * (4 + self.dim())
            + self.len() * self.dim()
    }

    /// Searches one chunk of queries (at most [`IVF_QUERY_CHUNK`]).
    fn search_chunk(
        &self,
        queries: &[f32],
        kc: usize,
        dist: &mut [f32],
        idx: &mut [u32],
        sc: &mut IvfScratch,
    ) {
        let dim = self.dim();
        let stride = self.bank.stride;
        let probes = self.probes;
        let lists = self.lists();
        let nq = queries.len() / dim;
        let k = dist.len() / nq;
        let IvfScratch {
            base: s,
            probe_dist,
            probe_list,
            starts,
            fill,
            members,
            group,
        } = sc;
        for (i, x) in queries.chunks_exact(dim).enumerate() {
            s.params[i] = Int8Bank::encode_query(
                &self.bank.codec,
                x,
                &mut s.codes[i * stride..(i + 1) * stride],
            );
        }
        // The `probes` nearest centroids of each query.
        probe_dist[..nq * probes].fill(f32::INFINITY);
        probe_list[..nq * probes].fill(u32::MAX);
        for b in (0..nq).step_by(QUERY_BLOCK) {
            let e = (b + QUERY_BLOCK).min(nq);
            self.centroids.scan(
                0,
                lists,
                Prepared {
                    codes: &s.codes[b * stride..e * stride],
                    params: &s.params[b..e],
                },
                &mut probe_dist[b * probes..e * probes],
                &mut probe_list[b * probes..e * probes],
            );
        }
        // Bucket the queries per list (counting sort; ascending query order in a bucket).
        // (A slot stays u32::MAX only when every distance overflowed: probe fewer lists.)
        starts.fill(0);
        for &l in probe_list[..nq * probes].iter().filter(|&&l| l != u32::MAX) {
            starts[l as usize + 1] += 1;
        }
        for l in 0..lists {
            starts[l + 1] += starts[l];
        }
        fill.copy_from_slice(&starts[..lists]);
        for (i, probed) in probe_list[..nq * probes].chunks_exact(probes).enumerate() {
            for &l in probed.iter().filter(|&&l| l != u32::MAX) {
                members[fill[l as usize]] = i as u32;
                fill[l as usize] += 1;
            }
        }
        // Each probed list streams once for its queries.
        s.cand_dist[..nq * kc].fill(f32::INFINITY);
        s.cand_index[..nq * kc].fill(u32::MAX);
        for l in 0..lists {
            let rows = self.list(l);
            if rows.is_empty() {
                continue;
            }
            for block in members[starts[l]..starts[l + 1]].chunks(QUERY_BLOCK) {
                group.gather(block, stride, kc, s);
                let n = block.len();
                self.bank.scan(
                    rows.start,
                    rows.len(),
                    Prepared {
                        codes: &group.codes[..n * stride],
                        params: &group.params[..n],
                    },
                    &mut group.dist[..n * kc],
                    &mut group.index[..n * kc],
                );
                group.scatter(block, kc, s);
            }
        }
        for (i, ((x, dq), iq)) in queries
            .chunks_exact(dim)
            .zip(dist.chunks_exact_mut(k))
            .zip(idx.chunks_exact_mut(k))
            .enumerate()
        {
            let cand = i * kc..(i + 1) * kc;
            if s.cand_index[cand.start + k - 1] == u32::MAX {
                // The probed lists held fewer than k entries: scan them all.
                s.cand_dist[cand.clone()].fill(f32::INFINITY);
                s.cand_index[cand.clone()].fill(u32::MAX);
                self.bank.scan(
                    0,
                    self.len(),
                    Prepared {
                        codes: &s.codes[i * stride..(i + 1) * stride],
                        params: &s.params[i..i + 1],
                    },
                    &mut s.cand_dist[cand.clone()],
                    &mut s.cand_index[cand.clone()],
                );
            }
            self.bank.rerank(x, &s.cand_index[cand], &mut s.row, dq, iq);
        }
    }
}

/// One block of bucketed queries copied next to each other for the scan kernel.
struct Group {
    codes: Vec<i16>,
    params: Vec<(f32, f32)>,
    dist: Vec<f32>,
    index: Vec<u32>,
}

impl Group {
    fn gather(&mut self, block: &[u32], stride: usize, kc: usize, s: &Scratch) {
        for (g, &i) in block.iter().enumerate() {
            let i = i as usize;
            self.codes[g * stride..(g + 1) * stride]
                .copy_from_slice(&s.codes[i * stride..(i + 1) * stride]);
            self.params[g] = s.params[i];
            self.dist[g * kc..(g + 1) * kc].copy_from_slice(&s.cand_dist[i * kc..(i + 1) * kc]);
            self.index[g * kc..(g + 1) * kc].copy_from_slice(&s.cand_index[i * kc..(i + 1) * kc]);
        }
    }

    fn scatter(&self, block: &[u32], kc: usize, s: &mut Scratch) {
        for (g, &i) in block.iter().enumerate() {
            let i = i as usize;
            s.cand_dist[i * kc..(i + 1) * kc].copy_from_slice(&self.dist[g * kc..(g + 1) * kc]);
            s.cand_index[i * kc..(i + 1) * kc].copy_from_slice(&self.index[g * kc..(g + 1) * kc]);
        }
    }
}

/// Per-worker buffers of the IVF search, allocated once per rayon job.
struct IvfScratch {
    base: Scratch,
    probe_dist: Vec<f32>,
    probe_list: Vec<u32>,
    /// Bucket starts per list (`lists + 1`).
    starts: Vec<usize>,
    fill: Vec<usize>,
    members: Vec<u32>,
    group: Group,
}

impl IvfScratch {
    fn new(stride: usize, kc: usize, probes: usize, lists: usize) -> Self {
        let q = IVF_QUERY_CHUNK;
        IvfScratch {
            base: Scratch::new(stride, kc, q),
            probe_dist: vec![0.0; q * probes],
            probe_list: vec![0; q * probes],
            starts: vec![0; lists + 1],
            fill: vec![0; lists],
            members: vec![0; q * probes],
            group: Group {
                codes: vec![0; QUERY_BLOCK * stride],
                params: vec![(0.0, 0.0); QUERY_BLOCK],
                dist: vec![0.0; QUERY_BLOCK * kc],
                index: vec![0; QUERY_BLOCK * kc],
            },
        }
    }
}

impl NearestNeighbours for IvfBank {
    fn dim(&self) -> usize {
        self.bank.dim()
    }

    fn len(&self) -> usize {
        self.bank.len()
    }

    fn search_into(
        &self,
        queries: &[f32],
        k: usize,
        distances: &mut [f32],
        indices: &mut [u32],
    ) -> Result<(), BankError> {
        let kc = (k + RERANK_EXTRA).min(self.len());
        let (stride, probes, lists) = (self.bank.stride, self.probes, self.lists());
        search_in_chunks(
            queries,
            (self.dim(), self.len(), k),
            IVF_QUERY_CHUNK,
            distances,
            indices,
            || IvfScratch::new(stride, kc, probes, lists),
            |sc, q, dist, idx| self.search_chunk(q, kc, dist, idx, sc),
        )
    }

    fn entry(&self, index: usize) -> Option<Vec<f32>> {
        self.bank.entry(index)
    }

    /// The centroid scan plus `probes` lists of average size.
    fn macs_per_query(&self) -> u64 {
        let lists = self.lists() as u64;
        let probed = (self.probes as u64 * self.len() as u64).div_ceil(lists);
        (lists + probed) * self.dim() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clustered test features: `centres` random centres, points scattered around them.
    /// The centres are the same for every `seed`; the scatter is not.
    fn clustered(n: usize, dim: usize, centres: usize, seed: u64) -> Vec<f32> {
        fn stream(mut state: u64) -> impl FnMut() -> f32 {
            move || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
            }
        }
        let mut centre_values = stream(1);
        let c: Vec<f32> = (0..centres * dim).map(|_| centre_values() * 8.0).collect();
        let mut next = stream(seed);
        (0..n)
            .flat_map(|i| {
                let centre = (i * 7) % centres;
                (0..dim)
                    .map(|d| c[centre * dim + d] + next() - 0.5)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn index(n: usize, dim: usize, lists: usize, probes: usize) -> (Int8Bank, IvfBank) {
        let rows = clustered(n, dim, lists, 3);
        let bank = Int8Bank::quantize(&F32Bank::new(rows.clone(), dim).unwrap());
        // Centroids: the first entry of each cluster (as the greedy coreset order gives).
        let centroids = rows[..lists * dim].to_vec();
        let ivf = IvfBank::from_parts(&bank, &centroids, probes).unwrap();
        (bank, ivf)
    }

    #[test]
    fn lists_partition_the_bank_and_keep_every_entry() {
        let (bank, ivf) = index(500, 12, 10, 2);
        assert_eq!(ivf.len(), 500);
        assert_eq!(ivf.lists(), 10);
        let sizes: Vec<usize> = (0..10).map(|l| ivf.list(l).len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 500);
        assert!(sizes.iter().all(|&s| s == 50), "{sizes:?}");
        let mut before: Vec<Vec<i8>> = (0..500).map(|j| bank.codes(j).unwrap().to_vec()).collect();
        let mut after: Vec<Vec<i8>> = (0..500)
            .map(|j| ivf.bank().codes(j).unwrap().to_vec())
            .collect();
        before.sort();
        after.sort();
        assert_eq!(before, after);
    }

    #[test]
    fn all_probes_equal_brute_force_and_few_probes_never_go_below_it() {
        let dim = 12;
        let (bank, ivf) = index(600, dim, 12, 12);
        let queries = clustered(300, dim, 12, 9);
        let exact = bank.search(&queries, 3).unwrap();
        let all = ivf.search(&queries, 3).unwrap();
        for (a, b) in exact.distances.iter().zip(&all.distances) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        let few = ivf
            .clone()
            .with_probes(1)
            .unwrap()
            .search(&queries, 1)
            .unwrap();
        let mut same = 0;
        for (i, &d) in few.distances.iter().enumerate() {
            assert!(d >= exact.distances[i * 3] - 1e-5);
            same += usize::from((d - exact.distances[i * 3]).abs() < 1e-5);
        }
        // Well-separated clusters: one probe finds the true nearest entry almost always.
        assert!(same >= 290, "{same} of 300");
    }

    #[test]
    fn results_do_not_depend_on_threads_and_k_beyond_the_probed_lists_still_works() {
        let dim = 8;
        let (_, ivf) = index(2_000, dim, 40, 2);
        let queries = clustered(700, dim, 40, 5);
        let many = ivf.search(&queries, 2).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| ivf.search(&queries, 2).unwrap());
        assert_eq!(many, one);
        // Two lists of 50 hold 100 entries: k = 150 falls back to the whole bank.
        let wide = ivf.search(&queries[..dim], 150).unwrap();
        assert!(wide.indices.iter().all(|&j| j != u32::MAX));
        assert!(wide.distances.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bad_probes_and_centroids_are_errors() {
        let (bank, ivf) = index(100, 4, 5, 1);
        assert!(ivf.clone().with_probes(0).is_err());
        assert!(ivf.with_probes(6).is_err());
        assert!(IvfBank::from_parts(&bank, &[0.0; 5], 1).is_err());
        assert!(IvfBank::from_parts(&bank, &[f32::NAN, 0.0, 0.0, 0.0], 1).is_err());
    }
}
