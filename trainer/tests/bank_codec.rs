//! Serialised forms: every model round-trips exactly and scores the same after decoding;
//! corrupt bytes (truncated, bad magic or version, trailing, invalid values, random
//! damage, absurd sizes) give typed errors and never panic.

use proptest::prelude::*;
use trainer::bank::{
    greedy_coreset, index_bank, BankModel, CoresetConfig, CoresetSize, DecodeError, F32Bank,
    FitGaussian, FitPosition, GaussianConfig, GaussianModel, GridShape, Int8Bank, IvfBank,
    IvfConfig, NearestNeighbours, PositionBank, PositionBankConfig, SeededRng, SyntheticFeatures,
};

struct Models {
    f32: F32Bank,
    int8: Int8Bank,
    ivf: IvfBank,
    position: PositionBank,
    gaussian: GaussianModel,
    grid: GridShape,
    test: Vec<f32>,
}

fn models() -> Models {
    let grid = GridShape::new(3, 4, 6);
    let f = SyntheticFeatures::new(grid.dim, 2);
    let train = f.grid_images(grid, 6, 1);
    let coreset = greedy_coreset(
        &train,
        grid.dim,
        &CoresetConfig {
            size: CoresetSize::Count(10),
            ..CoresetConfig::default()
        },
        |_, _| {},
    )
    .unwrap();
    let f32 = F32Bank::from_coreset(&train, grid.dim, &coreset).unwrap();
    let int8 = Int8Bank::quantize(&f32);
    let ivf = index_bank(
        &f32,
        &IvfConfig {
            lists: Some(3),
            probes: 2,
        },
    )
    .unwrap();
    let position = PositionBank::fit(
        &train,
        grid,
        &PositionBankConfig {
            entries_per_location: 3,
            ..PositionBankConfig::default()
        },
    )
    .unwrap();
    let gaussian = GaussianModel::fit(
        &train,
        grid,
        &GaussianConfig {
            reduced_dim: Some(4),
            ..GaussianConfig::default()
        },
    )
    .unwrap();
    Models {
        f32,
        int8,
        ivf,
        position,
        gaussian,
        grid,
        test: f.grid_images(grid, 1, 9),
    }
}

fn all_bytes(m: &Models) -> Vec<Vec<u8>> {
    vec![
        m.f32.to_bytes(),
        m.int8.to_bytes(),
        m.ivf.to_bytes(),
        m.position.to_bytes(),
        m.gaussian.to_bytes(),
    ]
}

#[test]
fn every_model_round_trips_and_scores_identically() {
    let m = models();
    let f32 = F32Bank::from_bytes(&m.f32.to_bytes()).unwrap();
    assert_eq!(f32, m.f32);
    let int8 = Int8Bank::from_bytes(&m.int8.to_bytes()).unwrap();
    assert_eq!(int8, m.int8);
    assert_eq!(
        int8.search(&m.test, 2).unwrap(),
        m.int8.search(&m.test, 2).unwrap()
    );
    let ivf = IvfBank::from_bytes(&m.ivf.to_bytes()).unwrap();
    assert_eq!(ivf, m.ivf);
    assert_eq!(
        ivf.search(&m.test, 2).unwrap(),
        m.ivf.search(&m.test, 2).unwrap()
    );
    let position = PositionBank::from_bytes(&m.position.to_bytes()).unwrap();
    assert_eq!(position, m.position);
    assert_eq!(
        position.score_map(&m.test).unwrap(),
        m.position.score_map(&m.test).unwrap()
    );
    let gaussian = GaussianModel::from_bytes(&m.gaussian.to_bytes()).unwrap();
    assert_eq!(gaussian, m.gaussian);
    assert_eq!(
        gaussian.score_map(&m.test).unwrap(),
        m.gaussian.score_map(&m.test).unwrap()
    );
    assert_eq!(m.f32.to_bytes().len(), m.f32.byte_size());
    assert_eq!(m.int8.to_bytes().len(), m.int8.byte_size());
    assert_eq!(m.ivf.to_bytes().len(), m.ivf.byte_size());
    assert_eq!(m.position.to_bytes().len(), m.position.byte_size());
    assert_eq!(m.gaussian.to_bytes().len(), m.gaussian.byte_size());
    assert_eq!(m.grid, gaussian.grid());
}

#[test]
fn bank_model_reads_any_kind_by_its_magic() {
    let m = models();
    assert_eq!(
        BankModel::from_bytes(&m.f32.to_bytes()),
        Ok(BankModel::F32(m.f32.clone()))
    );
    assert_eq!(
        BankModel::from_bytes(&m.int8.to_bytes()),
        Ok(BankModel::Int8(m.int8.clone()))
    );
    let i = BankModel::Ivf(m.ivf.clone());
    assert_eq!(BankModel::from_bytes(&i.to_bytes()), Ok(i));
    let p = BankModel::Position(m.position.clone());
    assert_eq!(BankModel::from_bytes(&p.to_bytes()), Ok(p));
    let g = BankModel::Gaussian(m.gaussian.clone());
    assert_eq!(BankModel::from_bytes(&g.to_bytes()), Ok(g));
    assert!(matches!(
        BankModel::from_bytes(b"NOPE\x01\x00"),
        Err(DecodeError::BadMagic { .. })
    ));
}

#[test]
fn truncated_bytes_are_errors_at_every_length() {
    let m = models();
    for bytes in all_bytes(&m) {
        for len in 0..bytes.len() {
            let r = BankModel::from_bytes(&bytes[..len]);
            assert!(
                matches!(r, Err(DecodeError::Truncated { .. })),
                "length {len} of {}: {r:?}",
                bytes.len()
            );
        }
    }
}

#[test]
fn rejects_bad_magic_unknown_version_and_trailing_bytes() {
    let m = models();
    let bytes = m.int8.to_bytes();
    assert!(matches!(
        F32Bank::from_bytes(&bytes),
        Err(DecodeError::BadMagic { .. })
    ));
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(
        Int8Bank::from_bytes(&v2),
        Err(DecodeError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Int8Bank::from_bytes(&long),
        Err(DecodeError::TrailingBytes { trailing: 1 })
    );
}

#[test]
fn rejects_invalid_values() {
    let m = models();
    // Int8: header 14, offsets and scales 2 × 6 × 4 = 48, then codes.
    let mut code = m.int8.to_bytes();
    code[14 + 48] = 0x80;
    assert!(matches!(
        Int8Bank::from_bytes(&code),
        Err(DecodeError::InvalidField { field: "codes", .. })
    ));
    let mut scale = m.int8.to_bytes();
    scale[14 + 24..14 + 28].copy_from_slice(&(-1.0f32).to_le_bytes());
    assert!(matches!(
        Int8Bank::from_bytes(&scale),
        Err(DecodeError::InvalidField {
            field: "scales",
            ..
        })
    ));
    let mut nan = m.f32.to_bytes();
    nan[14..18].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(matches!(
        F32Bank::from_bytes(&nan),
        Err(DecodeError::InvalidField {
            field: "entries",
            ..
        })
    ));
    let mut zero_dim = m.f32.to_bytes();
    zero_dim[6..10].copy_from_slice(&0u32.to_le_bytes());
    assert!(matches!(
        F32Bank::from_bytes(&zero_dim),
        Err(DecodeError::InvalidField { field: "dim", .. })
    ));
    // Inverted file: header 22 (probes at 18), codec 48, then 3 list ends.
    let mut probes = m.ivf.to_bytes();
    probes[18..22].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(
        IvfBank::from_bytes(&probes),
        Err(DecodeError::InvalidField {
            field: "probes",
            ..
        })
    ));
    for ends in [[5u32, 4, 10], [1, 2, 9]] {
        let mut bytes = m.ivf.to_bytes();
        for (i, e) in ends.iter().enumerate() {
            bytes[70 + 4 * i..74 + 4 * i].copy_from_slice(&e.to_le_bytes());
        }
        assert!(
            matches!(
                IvfBank::from_bytes(&bytes),
                Err(DecodeError::InvalidField {
                    field: "list_ends",
                    ..
                })
            ),
            "{ends:?}"
        );
    }
    // Gaussian: header 22, selected 4 × u32; make it unsorted.
    let mut unsorted = m.gaussian.to_bytes();
    unsorted[22..26].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(
        GaussianModel::from_bytes(&unsorted),
        Err(DecodeError::InvalidField {
            field: "selected",
            ..
        })
    ));
    // First Cholesky diagonal (after selected 16 B and means 12 × 4 × 4 B) set to 0.
    let mut singular = m.gaussian.to_bytes();
    let at = 22 + 16 + 12 * 4 * 4;
    singular[at..at + 4].copy_from_slice(&0.0f32.to_le_bytes());
    assert!(matches!(
        GaussianModel::from_bytes(&singular),
        Err(DecodeError::InvalidField {
            field: "factors",
            ..
        })
    ));
}

#[test]
fn absurd_sizes_are_rejected_without_allocating() {
    let mut f = b"BKF4\x01\x00".to_vec();
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        F32Bank::from_bytes(&f),
        Err(DecodeError::Truncated { .. } | DecodeError::InvalidField { .. })
    ));
    let mut p = b"BKPA\x01\x00".to_vec();
    for v in [u32::MAX, u32::MAX, u32::MAX, u32::MAX, 0] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    assert!(PositionBank::from_bytes(&p).is_err());
    let mut g = b"BKGS\x01\x00".to_vec();
    for v in [u32::MAX, u32::MAX, u32::MAX, u32::MAX] {
        g.extend_from_slice(&v.to_le_bytes());
    }
    assert!(GaussianModel::from_bytes(&g).is_err());
}

#[test]
fn random_damage_never_panics_and_decoded_models_still_score() {
    let m = models();
    let mut rng = SeededRng::new(3);
    for bytes in all_bytes(&m) {
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            if let Ok(model) = BankModel::from_bytes(&b) {
                // Whatever decodes is a usable model: scoring returns, it does not panic.
                let _ = match model {
                    BankModel::F32(x) => x.search(&m.test, 1).map(|_| ()),
                    BankModel::Int8(x) => x.search(&m.test, 1).map(|_| ()),
                    BankModel::Ivf(x) => x.search(&m.test, 1).map(|_| ()),
                    BankModel::Position(x) => x.score_map(&m.test).map(|_| ()),
                    BankModel::Gaussian(x) => x.score_map(&m.test).map(|_| ()),
                    BankModel::Direct(_) => Ok(()),
                };
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(
        magic in prop::sample::select(vec![*b"BKF4", *b"BKI8", *b"BKIV", *b"BKPA", *b"BKGS"]),
        tail in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&tail);
        let _ = BankModel::from_bytes(&bytes);
    }
}
