//! Byte layout of every bank model, for the bundle's named payloads and for reading them
//! back on the device. Little-endian throughout; no padding; lengths are `u32`.
//!
//! ```text
//! every model:  magic [u8; 4]   version u16 (= FORMAT_VERSION)
//! F32Bank  "BKF4": dim u32, len u32, entries f32 × len·dim
//! Int8Bank "BKI8": dim u32, len u32, offsets f32 × dim, scales f32 × dim, codes i8 × len·dim
//! IvfBank  "BKIV": dim u32, len u32, lists u32, probes u32, offsets f32 × dim,
//!                  scales f32 × dim, list ends u32 × lists, centroid codes i8 × lists·dim,
//!                  codes i8 × len·dim (list-major)
//! PositionBank "BKPA": height u32, width u32, dim u32, entries_per_location u32,
//!                  search_radius u32, offsets f32 × dim, scales f32 × dim,
//!                  codes i8 × height·width·entries·dim (location-major)
//! GaussianModel "BKGS": height u32, width u32, dim u32, d u32, selected u32 × d,
//!                  means f32 × height·width·d, factors f32 × height·width·d(d+1)/2
//!                  (packed lower Cholesky factors, row by row)
//! DirectMap "BKDM": height u32, width u32 (the network outputs the map; nothing else)
//! ```
//!
//! Int8 norms and row padding are derived data, rebuilt on load, so the int8 payload is
//! `len·dim + 8·dim + 14` bytes, a quarter of the f32 payload plus the codec.
//!
//! Always holds: decoding never panics and never allocates more than the input length
//! implies (every array's byte count is checked against the remaining input first, with
//! overflow-checked sizes); it rejects wrong magic, unknown versions, zero or overflowing
//! sizes, non-finite floats, negative scales, the code −128, unsorted or out-of-range
//! Gaussian dimensions, list ends that decrease or do not end at the bank's length, probes
//! outside `1..=lists`, non-positive Cholesky diagonals, and trailing bytes, each as a
//! typed [`DecodeError`]. `from_bytes(to_bytes(m)) == m` for every model.

use super::direct::DirectMap;
use super::gaussian::{diagonals_positive, packed_len, selected_ok, GaussianModel};
use super::ivf::IvfBank;
use super::position::PositionBank;
use super::quant::Int8Codec;
use super::search::{F32Bank, Int8Bank, NearestNeighbours};
use super::shape::GridShape;
use super::DecodeError;

/// Layout version written and read by this build.
pub const FORMAT_VERSION: u16 = 1;
/// Magic of a serialised [`F32Bank`].
pub const F32_BANK_MAGIC: [u8; 4] = *b"BKF4";
/// Magic of a serialised [`Int8Bank`].
pub const INT8_BANK_MAGIC: [u8; 4] = *b"BKI8";
/// Magic of a serialised [`IvfBank`].
pub const IVF_BANK_MAGIC: [u8; 4] = *b"BKIV";
/// Magic of a serialised [`PositionBank`].
pub const POSITION_BANK_MAGIC: [u8; 4] = *b"BKPA";
/// Magic of a serialised [`GaussianModel`].
pub const GAUSSIAN_MAGIC: [u8; 4] = *b"BKGS";
/// Magic of a serialised [`DirectMap`].
pub const DIRECT_MAP_MAGIC: [u8; 4] = *b"BKDM";

pub(crate) const F32_BANK_HEADER: usize = 14;
pub(crate) const INT8_BANK_HEADER: usize = 14;
pub(crate) const IVF_BANK_HEADER: usize = 22;
pub(crate) const POSITION_BANK_HEADER: usize = 26;
pub(crate) const GAUSSIAN_HEADER: usize = 22;

/// Any bank model, told apart by its magic.
#[derive(Debug, Clone, PartialEq)]
pub enum BankModel {
    /// Exact f32 global bank.
    F32(F32Bank),
    /// Int8 global bank.
    Int8(Int8Bank),
    /// Int8 global bank with an inverted-file index.
    Ivf(IvfBank),
    /// Per-location int8 banks.
    Position(PositionBank),
    /// Per-location Gaussians.
    Gaussian(GaussianModel),
    /// The network outputs the patch-score map (teacher–student bundles).
    Direct(DirectMap),
}

impl BankModel {
    /// Decodes whichever model `bytes` hold.
    ///
    /// # Errors
    /// The first failed check, as a [`DecodeError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut magic = [0u8; 4];
        magic.copy_from_slice(Reader::new(bytes).take("magic", 4)?);
        match magic {
            F32_BANK_MAGIC => F32Bank::from_bytes(bytes).map(BankModel::F32),
            INT8_BANK_MAGIC => Int8Bank::from_bytes(bytes).map(BankModel::Int8),
            IVF_BANK_MAGIC => IvfBank::from_bytes(bytes).map(BankModel::Ivf),
            POSITION_BANK_MAGIC => PositionBank::from_bytes(bytes).map(BankModel::Position),
            GAUSSIAN_MAGIC => GaussianModel::from_bytes(bytes).map(BankModel::Gaussian),
            DIRECT_MAP_MAGIC => DirectMap::from_bytes(bytes).map(BankModel::Direct),
            found => Err(DecodeError::BadMagic {
                expected: F32_BANK_MAGIC,
                found,
            }),
        }
    }

    /// Encodes the model.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            BankModel::F32(m) => m.to_bytes(),
            BankModel::Int8(m) => m.to_bytes(),
            BankModel::Ivf(m) => m.to_bytes(),
            BankModel::Position(m) => m.to_bytes(),
            BankModel::Gaussian(m) => m.to_bytes(),
            BankModel::Direct(m) => m.to_bytes(),
        }
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn new(magic: [u8; 4], capacity: usize) -> Self {
        let mut v = Vec::with_capacity(capacity);
        v.extend_from_slice(&magic);
        v.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        Writer(v)
    }
    fn u32(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u32).to_le_bytes());
    }
    fn f32s(&mut self, v: &[f32]) {
        v.iter()
            .for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn u32s(&mut self, v: &[u32]) {
        v.iter()
            .for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn i8s(&mut self, v: &[i8]) {
        self.0.extend(v.iter().map(|&c| c as u8));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        let available = self.bytes.len() - self.pos;
        if n > available {
            return Err(DecodeError::Truncated {
                field,
                offset: self.pos,
                needed: n,
                available,
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn header(&mut self, magic: [u8; 4]) -> Result<(), DecodeError> {
        let mut found = [0u8; 4];
        found.copy_from_slice(self.take("magic", 4)?);
        if found != magic {
            return Err(DecodeError::BadMagic {
                expected: magic,
                found,
            });
        }
        let v = self.take("version", 2)?;
        let found = u16::from_le_bytes([v[0], v[1]]);
        if found != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                found,
                supported: FORMAT_VERSION,
            });
        }
        Ok(())
    }

    fn u32(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        let b = self.take(field, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// A size field that must be ≥ 1.
    fn size(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        match self.u32(field)? {
            0 => Err(DecodeError::InvalidField {
                field,
                reason: "must be at least 1",
            }),
            n => Ok(n),
        }
    }

    fn f32s(&mut self, field: &'static str, n: usize) -> Result<Vec<f32>, DecodeError> {
        let bytes = self.take(field, byte_count(field, n, 4)?)?;
        let out: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if out.iter().any(|v| !v.is_finite()) {
            return Err(DecodeError::InvalidField {
                field,
                reason: "holds a NaN or infinite value",
            });
        }
        Ok(out)
    }

    fn u32s(&mut self, field: &'static str, n: usize) -> Result<Vec<u32>, DecodeError> {
        let bytes = self.take(field, byte_count(field, n, 4)?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn codes(&mut self, field: &'static str, n: usize) -> Result<Vec<i8>, DecodeError> {
        let bytes = self.take(field, n)?;
        if bytes.contains(&0x80) {
            return Err(DecodeError::InvalidField {
                field,
                reason: "holds the code -128, which the encoder never writes",
            });
        }
        Ok(bytes.iter().map(|&b| b as i8).collect())
    }

    fn codec(&mut self, dim: usize) -> Result<Int8Codec, DecodeError> {
        let offsets = self.f32s("offsets", dim)?;
        let scales = self.f32s("scales", dim)?;
        Int8Codec::from_parts(offsets, scales).ok_or(DecodeError::InvalidField {
            field: "scales",
            reason: "scales must be ≥ 0",
        })
    }

    fn finish(self) -> Result<(), DecodeError> {
        match self.bytes.len() - self.pos {
            0 => Ok(()),
            trailing => Err(DecodeError::TrailingBytes { trailing }),
        }
    }
}

/// `a × b × …` without overflow.
fn product(field: &'static str, factors: &[usize]) -> Result<usize, DecodeError> {
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
        .ok_or(DecodeError::InvalidField {
            field,
            reason: "size overflows",
        })
}

fn byte_count(field: &'static str, n: usize, width: usize) -> Result<usize, DecodeError> {
    product(field, &[n, width])
}

impl F32Bank {
    /// Encodes the bank (layout in [`super::codec`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(F32_BANK_MAGIC, self.byte_size());
        w.u32(self.dim());
        w.u32(self.len());
        w.f32s(self.data());
        w.0
    }

    /// Decodes a bank written by [`F32Bank::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(F32_BANK_MAGIC)?;
        let dim = r.size("dim")?;
        let len = r.size("len")?;
        let data = r.f32s("entries", product("entries", &[len, dim])?)?;
        r.finish()?;
        F32Bank::new(data, dim).map_err(|_| DecodeError::InvalidField {
            field: "entries",
            reason: "not a valid bank",
        })
    }
}

impl Int8Bank {
    /// Encodes the bank: codec and unpadded codes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dim = self.dim();
        let mut w = Writer::new(INT8_BANK_MAGIC, self.byte_size());
        w.u32(dim);
        w.u32(self.len());
        w.f32s(self.codec.offsets());
        w.f32s(self.codec.scales());
        for row in self.codes.chunks_exact(self.stride) {
            w.i8s(&row[..dim]);
        }
        w.0
    }

    /// Decodes a bank written by [`Int8Bank::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(INT8_BANK_MAGIC)?;
        let dim = r.size("dim")?;
        let len = r.size("len")?;
        let codec = r.codec(dim)?;
        let codes = r.codes("codes", product("codes", &[len, dim])?)?;
        r.finish()?;
        Ok(Int8Bank::from_codes(codec, &codes))
    }
}

impl IvfBank {
    /// Encodes the index: codec, list ends, centroid codes, unpadded codes (list-major).
    pub fn to_bytes(&self) -> Vec<u8> {
        let dim = self.dim();
        let mut w = Writer::new(IVF_BANK_MAGIC, self.byte_size());
        w.u32(dim);
        w.u32(self.len());
        w.u32(self.lists());
        w.u32(self.probes);
        w.f32s(self.bank.codec.offsets());
        w.f32s(self.bank.codec.scales());
        w.u32s(&self.ends);
        for bank in [&self.centroids, &self.bank] {
            for row in bank.codes.chunks_exact(bank.stride) {
                w.i8s(&row[..dim]);
            }
        }
        w.0
    }

    /// Decodes an index written by [`IvfBank::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(IVF_BANK_MAGIC)?;
        let dim = r.size("dim")?;
        let len = r.size("len")?;
        let lists = r.size("lists")?;
        let probes = r.size("probes")?;
        if probes > lists {
            return Err(DecodeError::InvalidField {
                field: "probes",
                reason: "more probes than lists",
            });
        }
        let codec = r.codec(dim)?;
        let ends = r.u32s("list_ends", lists)?;
        if ends.windows(2).any(|w| w[0] > w[1]) || ends.last() != Some(&(len as u32)) {
            return Err(DecodeError::InvalidField {
                field: "list_ends",
                reason: "must not decrease and must end at len",
            });
        }
        let centroids = r.codes("centroids", product("centroids", &[lists, dim])?)?;
        let codes = r.codes("codes", product("codes", &[len, dim])?)?;
        r.finish()?;
        Ok(IvfBank {
            centroids: Int8Bank::from_codes(codec.clone(), &centroids),
            bank: Int8Bank::from_codes(codec, &codes),
            ends,
            probes,
        })
    }
}

impl PositionBank {
    /// Encodes the per-location banks.
    pub fn to_bytes(&self) -> Vec<u8> {
        let g = self.grid;
        let mut w = Writer::new(POSITION_BANK_MAGIC, self.byte_size());
        w.u32(g.height);
        w.u32(g.width);
        w.u32(g.dim);
        w.u32(self.entries);
        w.u32(self.search_radius);
        w.f32s(self.bank.codec.offsets());
        w.f32s(self.bank.codec.scales());
        for row in self.bank.codes.chunks_exact(self.bank.stride) {
            w.i8s(&row[..g.dim]);
        }
        w.0
    }

    /// Decodes banks written by [`PositionBank::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(POSITION_BANK_MAGIC)?;
        let height = r.size("height")?;
        let width = r.size("width")?;
        let dim = r.size("dim")?;
        let entries = r.size("entries_per_location")?;
        let search_radius = r.u32("search_radius")?;
        let codec = r.codec(dim)?;
        let n = product("codes", &[height, width, entries, dim])?;
        let codes = r.codes("codes", n)?;
        r.finish()?;
        Ok(PositionBank {
            grid: GridShape::new(height, width, dim),
            entries,
            search_radius,
            bank: Int8Bank::from_codes(codec, &codes),
        })
    }
}

impl GaussianModel {
    /// Encodes the per-location Gaussians.
    pub fn to_bytes(&self) -> Vec<u8> {
        let g = self.grid;
        let mut w = Writer::new(GAUSSIAN_MAGIC, self.byte_size());
        w.u32(g.height);
        w.u32(g.width);
        w.u32(g.dim);
        w.u32(self.selected.len());
        w.u32s(&self.selected);
        w.f32s(&self.means);
        w.f32s(&self.factors);
        w.0
    }

    /// Decodes Gaussians written by [`GaussianModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(GAUSSIAN_MAGIC)?;
        let height = r.size("height")?;
        let width = r.size("width")?;
        let dim = r.size("dim")?;
        let d = r.size("d")?;
        if d > dim {
            return Err(DecodeError::InvalidField {
                field: "d",
                reason: "more selected dimensions than features",
            });
        }
        let selected = r.u32s("selected", d)?;
        if !selected_ok(&selected, dim) {
            return Err(DecodeError::InvalidField {
                field: "selected",
                reason: "must be sorted, distinct and below dim",
            });
        }
        let cells = product("means", &[height, width])?;
        let means = r.f32s("means", product("means", &[cells, d])?)?;
        // Overflow-checked d(d+1) before `packed_len` computes it unchecked.
        product("factors", &[d, d + 1])?;
        let packed = packed_len(d);
        let factors = r.f32s("factors", product("factors", &[cells, packed])?)?;
        r.finish()?;
        if !diagonals_positive(&factors, d) {
            return Err(DecodeError::InvalidField {
                field: "factors",
                reason: "a Cholesky diagonal is not positive",
            });
        }
        Ok(GaussianModel {
            grid: GridShape::new(height, width, dim),
            selected,
            means,
            factors,
        })
    }
}

impl DirectMap {
    /// Encodes the map's grid.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(DIRECT_MAP_MAGIC, 14);
        w.u32(self.grid.height);
        w.u32(self.grid.width);
        w.0
    }

    /// Decodes a map written by [`DirectMap::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.header(DIRECT_MAP_MAGIC)?;
        let height = r.size("height")?;
        let width = r.size("width")?;
        r.finish()?;
        Ok(DirectMap {
            grid: GridShape::new(height, width, 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_match_what_is_written() {
        let bank = F32Bank::new(vec![1.0, 2.0], 2).unwrap();
        assert_eq!(bank.to_bytes().len(), F32_BANK_HEADER + 8);
        let int8 = Int8Bank::quantize(&bank);
        assert_eq!(int8.to_bytes().len(), INT8_BANK_HEADER + 16 + 2);
        assert_eq!(&int8.to_bytes()[..6], b"BKI8\x01\x00");
    }

    #[test]
    fn a_direct_map_round_trips_and_refuses_bad_bytes() {
        let map = DirectMap::new(3, 5).unwrap();
        let bytes = BankModel::Direct(map).to_bytes();
        assert_eq!(bytes.len(), 14);
        assert_eq!(
            BankModel::from_bytes(&bytes).unwrap(),
            BankModel::Direct(map)
        );
        let mut zero = bytes.clone();
        zero[6..10].fill(0);
        assert!(BankModel::from_bytes(&zero).is_err());
        assert!(BankModel::from_bytes(&bytes[..13]).is_err());
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            BankModel::from_bytes(&long),
            Err(DecodeError::TrailingBytes { trailing: 1 })
        ));
    }
}
