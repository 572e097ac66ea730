//! [`V4lSource`] (`v4l:/dev/videoN`, cargo feature `v4l`): a V4L2 camera through the
//! `v4l` crate, mmap streaming. This file only moves bytes: it negotiates the format,
//! dequeues buffers and hands them to [`super::decode`], where all format logic is tested.
//!
//! - The driver must accept the configured format and size exactly, and the frame rate
//!   to within 0.5 fps; anything else is [`SourceError::Negotiation`] (a profile that
//!   silently runs at another resolution would shift every ROI).
//! - A dequeue that waits longer than `timeout_ms` is [`SourceError::Timeout`]; other
//!   ioctl failures (unplugged: `ENODEV`) are [`SourceError::Device`]. Both are device
//!   faults after which this stream cannot go on (`v4l` would re-queue a buffer that is
//!   still queued): wrap the source in [`super::Reconnecting`], which reopens it.
//! - `captured_us` is the source clock at dequeue; the driver's timestamp is not used
//!   (its epoch is the kernel's, not ours).
//!
//! No camera exists on the development machine: this backend is compiled and linted,
//! not exercised by tests.

use std::io;
use std::time::Duration;

use v4l::buffer::{Flags, Type};
use v4l::io::mmap::Stream as MmapStream;
use v4l::io::traits::{CaptureStream, Stream as _};
use v4l::video::capture::Parameters;
use v4l::video::Capture;
use v4l::{Device, Format, FourCC};

use super::camera::CameraConfig;
use super::decode::{decode_frame, RawLayout};
use super::{Frame, FrameOrigin, FrameSource, SourceError};
use crate::clock::SharedClock;

/// `ENODEV`: the device is gone (unplugged); `v4l`'s own drops tolerate only this error.
const ENODEV: i32 = 19;

/// A streaming V4L2 camera; see the [module docs](self).
pub struct V4lSource {
    config: CameraConfig,
    device_name: String,
    layout: RawLayout,
    /// `None` only while dropping (see `Drop`).
    stream: Option<MmapStream<'static>>,
    // Declared after the stream: the stream is dropped first.
    _device: Device,
    clock: SharedClock,
    seq: u64,
}

impl V4lSource {
    /// Opens the camera, negotiates format, size and rate, and maps the buffers
    /// (streaming starts with the first frame).
    ///
    /// # Errors
    /// [`SourceError::Config`] for an unusable configuration, [`SourceError::Device`]
    /// naming the failed operation, [`SourceError::Negotiation`] if the driver chose
    /// other settings.
    pub fn open(config: &CameraConfig, clock: SharedClock) -> Result<Self, SourceError> {
        config.validate()?;
        let device_name = config.device.display().to_string();
        let fail = |operation: &'static str| {
            let device = device_name.clone();
            move |source: io::Error| SourceError::Device {
                device,
                operation,
                source,
            }
        };
        let device = Device::with_path(&config.device).map_err(fail("open"))?;
        let requested = Format::new(
            config.width,
            config.height,
            FourCC::new(&config.format.fourcc()),
        );
        let actual = device
            .set_format(&requested)
            .map_err(fail("VIDIOC_S_FMT (set format)"))?;
        if actual.fourcc != requested.fourcc
            || actual.width != config.width
            || actual.height != config.height
        {
            return Err(SourceError::Negotiation {
                device: device_name,
                requested: format!("{} {}×{}", config.format, config.width, config.height),
                actual: format!("{} {}×{}", actual.fourcc, actual.width, actual.height),
            });
        }
        if let Some(fps) = config.fps {
            let params = device
                .set_params(&Parameters::with_fps(fps))
                .map_err(fail("VIDIOC_S_PARM (set frame rate)"))?;
            let interval = params.interval;
            let actual_fps = if interval.numerator == 0 {
                0.0
            } else {
                f64::from(interval.denominator) / f64::from(interval.numerator)
            };
            if (actual_fps - f64::from(fps)).abs() > 0.5 {
                return Err(SourceError::Negotiation {
                    device: device_name,
                    requested: format!("{fps} fps"),
                    actual: format!("{actual_fps:.2} fps"),
                });
            }
        }
        let mut stream = MmapStream::with_buffers(&device, Type::VideoCapture, config.buffers)
            .map_err(fail("VIDIOC_REQBUFS/mmap (map buffers)"))?;
        // `validate` bounds timeout_ms to i32::MAX, which `set_timeout` needs.
        stream.set_timeout(Duration::from_millis(config.timeout_ms));
        Ok(Self {
            config: config.clone(),
            layout: RawLayout {
                width: actual.width,
                height: actual.height,
                stride: actual.stride,
            },
            device_name,
            stream: Some(stream),
            _device: device,
            clock,
            seq: 0,
        })
    }
}

impl FrameSource for V4lSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(SourceError::Device {
                device: self.device_name.clone(),
                operation: "next frame",
                source: io::Error::other("stream already closed"),
            });
        };
        let (buffer, meta) = CaptureStream::next(stream).map_err(|source| {
            if source.kind() == io::ErrorKind::TimedOut {
                SourceError::Timeout {
                    device: self.device_name.clone(),
                    timeout_ms: self.config.timeout_ms,
                }
            } else {
                SourceError::Device {
                    device: self.device_name.clone(),
                    operation: "VIDIOC_QBUF/DQBUF (next frame)",
                    source,
                }
            }
        })?;
        let captured_us = self.clock.now_us();
        let sequence = meta.sequence;
        if meta.flags.contains(Flags::ERROR) {
            return Err(SourceError::CorruptBuffer {
                device: self.device_name.clone(),
                sequence,
            });
        }
        // `bytesused` is the frame; 0 (some drivers) means the whole buffer.
        let used = meta.bytesused as usize;
        let mut data = if used == 0 || used > buffer.len() {
            buffer
        } else {
            &buffer[..used]
        };
        // Raw frames: drivers may report the page-rounded buffer; the frame is its head.
        if self.config.format.bytes_per_pixel().is_some() {
            let expected = self.layout.stride as usize * self.layout.height as usize;
            if data.len() > expected {
                data = &data[..expected];
            }
        }
        let image = decode_frame(self.config.format, data, self.layout).map_err(|source| {
            SourceError::Frame {
                device: self.device_name.clone(),
                sequence,
                source,
            }
        })?;
        let frame = Frame {
            seq: self.seq,
            captured_us,
            image,
            origin: FrameOrigin::Camera {
                device: self.device_name.clone(),
                sequence,
            },
        };
        self.seq += 1;
        Ok(Some(frame))
    }

    fn describe(&self) -> String {
        format!("camera {}", self.config.describe())
    }
}

impl Drop for V4lSource {
    fn drop(&mut self) {
        // `v4l`'s stream and buffer drops panic on any stop/release error but ENODEV.
        // Stop here first: if that fails otherwise, leak the stream (a few mappings and
        // a file descriptor) rather than abort the line in a destructor.
        if let Some(mut stream) = self.stream.take() {
            match stream.stop() {
                Ok(()) => drop(stream),
                Err(e) if e.raw_os_error() == Some(ENODEV) => drop(stream),
                Err(_) => std::mem::forget(stream),
            }
        }
    }
}
