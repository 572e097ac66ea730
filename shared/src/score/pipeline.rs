//! [`ScorePipeline`] (preallocated, allocation-free per frame) and the allocating free
//! functions the trainer uses; both run the kernels in `kernels.rs`.

use alloc::vec;
use alloc::vec::Vec;

use super::kernels::{self, Tap};
use super::{check_sigma, ImageScore, ScoreConfig, ScoreError, MAX_MAP_CELLS, MAX_SIDE};

/// Checks a grid size (`what` is `"map"` or `"output"`; only maps are bounded by
/// [`MAX_MAP_CELLS`], outputs are caller-owned buffers) and returns its number of cells.
fn cells(what: &'static str, width: u32, height: u32) -> Result<usize, ScoreError> {
    let max_cells = if what == "map" {
        MAX_MAP_CELLS
    } else {
        u64::MAX
    };
    let ok = (1..=MAX_SIDE).contains(&width)
        && (1..=MAX_SIDE).contains(&height)
        && u64::from(width) * u64::from(height) <= max_cells;
    if ok {
        Ok(width as usize * height as usize)
    } else {
        Err(ScoreError::InvalidSize {
            what,
            width,
            height,
        })
    }
}

fn check_method(method: ImageScore, cells: usize) -> Result<(), ScoreError> {
    match method {
        ImageScore::TopKMean { k } if k == 0 || k as usize > cells => {
            Err(ScoreError::InvalidTopK { k, cells })
        }
        _ => Ok(()),
    }
}

fn check_map(map: &[f32], width: u32, height: u32) -> Result<(), ScoreError> {
    let expected = cells("map", width, height)?;
    if map.len() != expected {
        return Err(ScoreError::MapLength {
            expected,
            found: map.len(),
            width,
            height,
        });
    }
    kernels::check_finite(map, width as usize)
}

fn gaussian_kernel(sigma: f32) -> Vec<f64> {
    let mut kernel = vec![0.0; 2 * kernels::kernel_radius(sigma) + 1];
    kernels::fill_kernel(sigma, &mut kernel);
    kernel
}

/// The edge's per-frame score path with all scratch memory allocated up front.
///
/// `run` smooths the map with `image_sigma`, takes the image score over that smoothed
/// low-res map, smooths the map again with `smoothing_sigma` for the heat map (reusing
/// the first when the two σ are equal) and upsamples that into the caller's buffer,
/// without allocating. Not `Sync`-shared:
/// one pipeline per inference thread.
#[derive(Clone, Debug)]
pub struct ScorePipeline {
    config: ScoreConfig,
    out_width: u32,
    out_height: u32,
    /// Kernel of `image_sigma`.
    kernel: Vec<f64>,
    /// Kernel of `smoothing_sigma` when it differs from `image_sigma`.
    heat_kernel: Option<Vec<f64>>,
    tmp: Vec<f32>,
    smoothed: Vec<f32>,
    /// The heat map's smoothed low-res map (empty when `heat_kernel` is `None`).
    heat: Vec<f32>,
    select: Vec<f32>,
    x_taps: Vec<Tap>,
    y_taps: Vec<Tap>,
}

impl ScorePipeline {
    /// Validates `config` and allocates scratch for maps of
    /// `config.map_width × config.map_height` cells and heat maps of
    /// `out_width × out_height` pixels (usually the bundle's input size).
    ///
    /// # Errors
    /// [`ScoreError::InvalidSize`], [`ScoreError::InvalidSigma`],
    /// [`ScoreError::InvalidTopK`] when the configuration is outside its documented ranges.
    pub fn new(config: ScoreConfig, out_width: u32, out_height: u32) -> Result<Self, ScoreError> {
        let n = cells("map", config.map_width, config.map_height)?;
        cells("output", out_width, out_height)?;
        check_sigma(config.smoothing_sigma)?;
        check_sigma(config.image_sigma)?;
        check_method(config.image_score, n)?;
        let select_len = match config.image_score {
            ImageScore::Max => 0,
            ImageScore::TopKMean { .. } => n,
        };
        let zero_tap = Tap::default();
        let mut x_taps = vec![zero_tap; out_width as usize];
        let mut y_taps = vec![zero_tap; out_height as usize];
        kernels::fill_taps(config.map_width as usize, &mut x_taps);
        kernels::fill_taps(config.map_height as usize, &mut y_taps);
        let heat_kernel = (config.smoothing_sigma != config.image_sigma)
            .then(|| gaussian_kernel(config.smoothing_sigma));
        let heat_len = if heat_kernel.is_some() { n } else { 0 };
        Ok(Self {
            config,
            out_width,
            out_height,
            kernel: gaussian_kernel(config.image_sigma),
            heat_kernel,
            tmp: vec![0.0; n],
            smoothed: vec![0.0; n],
            heat: vec![0.0; heat_len],
            select: vec![0.0; select_len],
            x_taps,
            y_taps,
        })
    }

    /// The configuration this pipeline was built with.
    #[must_use]
    pub fn config(&self) -> &ScoreConfig {
        &self.config
    }

    /// Heat-map size `(out_width, out_height)` in pixels that [`Self::run`] fills.
    #[must_use]
    pub fn out_size(&self) -> (u32, u32) {
        (self.out_width, self.out_height)
    }

    /// Runs the whole path on one anomaly map (`map_width × map_height` values,
    /// row-major, raw network units): writes the `smoothing_sigma`-smoothed, upsampled
    /// heat map into `out_pixels` (`out_width × out_height`, row-major, same units) and
    /// returns the raw image score. Does not allocate.
    ///
    /// # Errors
    /// [`ScoreError::MapLength`] / [`ScoreError::OutputLength`] on wrong slice lengths
    /// (checked before any work), [`ScoreError::NonFinite`] if the map holds NaN or ±inf,
    /// [`ScoreError::NanScore`] if the reduction overflowed. Any error means: reject.
    pub fn run(&mut self, map: &[f32], out_pixels: &mut [f32]) -> Result<f32, ScoreError> {
        let expected = self.x_taps.len() * self.y_taps.len();
        if out_pixels.len() != expected {
            return Err(ScoreError::OutputLength {
                expected,
                found: out_pixels.len(),
                width: self.out_width,
                height: self.out_height,
            });
        }
        let score = self.score(map)?;
        let (width, height) = (self.config.map_width, self.config.map_height);
        let heat = match &self.heat_kernel {
            Some(kernel) => {
                kernels::blur(
                    map,
                    width as usize,
                    height as usize,
                    kernel,
                    &mut self.tmp,
                    &mut self.heat,
                );
                &self.heat
            }
            None => &self.smoothed,
        };
        kernels::upsample(heat, width as usize, &self.x_taps, &self.y_taps, out_pixels);
        Ok(score)
    }

    /// Like [`Self::run`] without the heat map: smooths `map` with `image_sigma` and
    /// returns the raw image score. Identical score to `run`. Does not allocate.
    ///
    /// # Errors
    /// As [`Self::run`], except there is no output buffer to check.
    pub fn score(&mut self, map: &[f32]) -> Result<f32, ScoreError> {
        let (width, height) = (self.config.map_width, self.config.map_height);
        check_map(map, width, height)?;
        kernels::blur(
            map,
            width as usize,
            height as usize,
            &self.kernel,
            &mut self.tmp,
            &mut self.smoothed,
        );
        let score = kernels::reduce(&self.smoothed, self.config.image_score, &mut self.select);
        if score.is_nan() {
            return Err(ScoreError::NanScore);
        }
        Ok(score)
    }

    /// The `image_sigma`-smoothed low-res map of the last successful
    /// [`Self::run`]/[`Self::score`], the one the image score was taken from
    /// (`map_width × map_height`, row-major); unspecified after an error.
    #[must_use]
    pub fn smoothed_map(&self) -> &[f32] {
        &self.smoothed
    }
}

/// Gaussian smoothing of `map` (`width × height` cells, row-major) with σ = `sigma` map
/// cells: separable, kernel truncated at radius `⌊4σ + 0.5⌋`, half-sample symmetric
/// ('reflect') borders: `scipy.ndimage.gaussian_filter(map, sigma, mode="reflect")` to
/// within f32 rounding. `sigma = 0` returns the map unchanged.
///
/// # Errors
/// [`ScoreError::InvalidSize`], [`ScoreError::InvalidSigma`], [`ScoreError::MapLength`],
/// [`ScoreError::NonFinite`].
pub fn gaussian_blur(
    map: &[f32],
    width: u32,
    height: u32,
    sigma: f32,
) -> Result<Vec<f32>, ScoreError> {
    check_sigma(sigma)?;
    check_map(map, width, height)?;
    let kernel = gaussian_kernel(sigma);
    let mut tmp = vec![0.0; map.len()];
    let mut out = vec![0.0; map.len()];
    kernels::blur(
        map,
        width as usize,
        height as usize,
        &kernel,
        &mut tmp,
        &mut out,
    );
    Ok(out)
}

/// Bilinear resize of `map` (`width × height`, row-major) to `out_width × out_height`
/// with half-pixel centres and clamped edges (ONNX Resize `linear`/`half_pixel`, PyTorch
/// `interpolate(mode="bilinear", align_corners=False)`). Every output lies within the
/// min..max of its (up to four) source cells.
///
/// # Errors
/// [`ScoreError::InvalidSize`], [`ScoreError::MapLength`], [`ScoreError::NonFinite`].
pub fn upsample_bilinear(
    map: &[f32],
    width: u32,
    height: u32,
    out_width: u32,
    out_height: u32,
) -> Result<Vec<f32>, ScoreError> {
    check_map(map, width, height)?;
    let n = cells("output", out_width, out_height)?;
    let mut x_taps = vec![Tap::default(); out_width as usize];
    let mut y_taps = vec![Tap::default(); out_height as usize];
    kernels::fill_taps(width as usize, &mut x_taps);
    kernels::fill_taps(height as usize, &mut y_taps);
    let mut out = vec![0.0; n];
    kernels::upsample(map, width as usize, &x_taps, &y_taps, &mut out);
    Ok(out)
}

/// Image score of a (normally already smoothed) map: its maximum, or the mean of its `k`
/// largest values. `map` must be non-empty and finite; `k` in `1..=map.len()`.
///
/// # Errors
/// [`ScoreError::InvalidSize`] for an empty map, [`ScoreError::InvalidTopK`],
/// [`ScoreError::NonFinite`], [`ScoreError::NanScore`].
pub fn image_score(map: &[f32], method: ImageScore) -> Result<f32, ScoreError> {
    if map.is_empty() {
        return Err(ScoreError::InvalidSize {
            what: "map",
            width: 0,
            height: 0,
        });
    }
    check_method(method, map.len())?;
    kernels::check_finite(map, map.len())?;
    let mut scratch = match method {
        ImageScore::Max => Vec::new(),
        ImageScore::TopKMean { .. } => vec![0.0; map.len()],
    };
    let score = kernels::reduce(map, method, &mut scratch);
    if score.is_nan() {
        return Err(ScoreError::NanScore);
    }
    Ok(score)
}
