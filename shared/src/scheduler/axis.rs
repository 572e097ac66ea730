//! The conveyor axis: [`Position`]s and [`Span`]s tagged with their unit ([`Micros`] or
//! [`EncoderCounts`]) so that a time and an encoder count can never be mixed up.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

/// The unit of a conveyor axis: a zero-sized tag carried by [`Position`] and [`Span`].
///
/// Implemented by [`Micros`] and [`EncoderCounts`]; a board with another monotonic
/// counter (e.g. nanoseconds) can add its own tag.
pub trait Axis: Copy + fmt::Debug + Default + Eq + Ord + Hash + 'static {
    /// Unit symbol used in messages, e.g. `"µs"`.
    const UNIT: &'static str;
}

/// Time axis: microseconds of a monotonic clock (free-run triggers, fixed belt speed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros;

impl Axis for Micros {
    const UNIT: &'static str = "µs";
}

/// Belt axis: counts of a conveyor encoder (delay and pulse width follow the belt,
/// whatever its speed, and freeze when it stops).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EncoderCounts;

impl Axis for EncoderCounts {
    const UNIT: &'static str = "counts";
}

/// A point on the axis `A`: microseconds since an arbitrary epoch, or an encoder count.
///
/// Assumed never to wrap: a u64 of microseconds lasts 584 000 years, and a 1 MHz
/// encoder as long. A board whose hardware counter is narrower must extend it to u64
/// before handing it over.
pub struct Position<A> {
    value: u64,
    axis: PhantomData<A>,
}

/// A distance along the axis `A` (delay, pulse width, margin), in the axis's unit.
pub struct Span<A> {
    value: u64,
    axis: PhantomData<A>,
}

// Manual impls: derives would demand `A: Trait` bounds on the tag for no reason.
macro_rules! value_impls {
    ($ty:ident) => {
        impl<A> $ty<A> {
            /// Zero.
            pub const ZERO: Self = Self::new(0);

            /// The value `value`, in the unit of `A` (µs or counts).
            #[must_use]
            pub const fn new(value: u64) -> Self {
                Self {
                    value,
                    axis: PhantomData,
                }
            }

            /// The raw value, in the unit of `A` (µs or counts).
            #[must_use]
            pub const fn get(self) -> u64 {
                self.value
            }
        }

        impl<A> Clone for $ty<A> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<A> Copy for $ty<A> {}
        impl<A> PartialEq for $ty<A> {
            fn eq(&self, other: &Self) -> bool {
                self.value == other.value
            }
        }
        impl<A> Eq for $ty<A> {}
        impl<A> PartialOrd for $ty<A> {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl<A> Ord for $ty<A> {
            fn cmp(&self, other: &Self) -> Ordering {
                self.value.cmp(&other.value)
            }
        }
        impl<A> Hash for $ty<A> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.value.hash(state);
            }
        }
        impl<A> Default for $ty<A> {
            fn default() -> Self {
                Self::ZERO
            }
        }
        impl<A: Axis> fmt::Debug for $ty<A> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({} {})"), self.value, A::UNIT)
            }
        }
        impl<A: Axis> fmt::Display for $ty<A> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.value, A::UNIT)
            }
        }
    };
}

value_impls!(Position);
value_impls!(Span);

impl<A> Position<A> {
    /// `self + span`, or `None` past `u64::MAX`.
    #[must_use]
    pub const fn checked_add(self, span: Span<A>) -> Option<Self> {
        match self.value.checked_add(span.value) {
            Some(v) => Some(Self::new(v)),
            None => None,
        }
    }

    /// `self + span`, stopping at `u64::MAX`.
    #[must_use]
    pub const fn saturating_add(self, span: Span<A>) -> Self {
        Self::new(self.value.saturating_add(span.value))
    }

    /// `self − span`, stopping at 0.
    #[must_use]
    pub const fn saturating_sub(self, span: Span<A>) -> Self {
        Self::new(self.value.saturating_sub(span.value))
    }

    /// Distance from `earlier` to `self`; zero if `earlier` is not before `self`.
    #[must_use]
    pub const fn saturating_since(self, earlier: Self) -> Span<A> {
        Span::new(self.value.saturating_sub(earlier.value))
    }
}

impl Span<Micros> {
    /// Time for the belt to carry a part `distance_um` micrometres at `speed_um_per_s`
    /// micrometres per second, rounded to the nearest microsecond; `None` when the
    /// speed is 0 or the result exceeds `u64::MAX` µs.
    ///
    /// E.g. 300 mm at 0.5 m/s: `travel_time(300_000, 500_000)` = 600 000 µs.
    #[must_use]
    pub fn travel_time(distance_um: u64, speed_um_per_s: u64) -> Option<Self> {
        if speed_um_per_s == 0 {
            return None;
        }
        let num = u128::from(distance_um) * 1_000_000 + u128::from(speed_um_per_s / 2);
        u64::try_from(num / u128::from(speed_um_per_s))
            .ok()
            .map(Self::new)
    }
}

impl Span<EncoderCounts> {
    /// Encoder counts over `distance_um` micrometres of belt for an encoder giving
    /// `counts_per_m` counts per metre of belt travel, rounded to the nearest count;
    /// `None` when the result exceeds `u64::MAX` counts.
    ///
    /// E.g. 300 mm with 2000 counts/m: `travel_counts(300_000, 2000)` = 600 counts.
    #[must_use]
    pub fn travel_counts(distance_um: u64, counts_per_m: u64) -> Option<Self> {
        let num = u128::from(distance_um) * u128::from(counts_per_m) + 500_000;
        u64::try_from(num / 1_000_000).ok().map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let p = Position::<Micros>::new(u64::MAX - 1);
        assert_eq!(p.checked_add(Span::new(2)), None);
        assert_eq!(p.saturating_add(Span::new(2)).get(), u64::MAX);
        assert_eq!(
            Position::<Micros>::new(3).saturating_sub(Span::new(5)),
            Position::ZERO
        );
        assert_eq!(Position::<Micros>::new(3).saturating_since(p), Span::ZERO);
    }

    #[test]
    fn travel_counts_rounds_to_nearest_count() {
        // 10 000 counts/m: one count per 100 µm.
        assert_eq!(
            Span::<EncoderCounts>::travel_counts(149, 10_000).map(Span::get),
            Some(1)
        );
        assert_eq!(
            Span::<EncoderCounts>::travel_counts(150, 10_000).map(Span::get),
            Some(2)
        );
        assert_eq!(
            Span::<EncoderCounts>::travel_counts(u64::MAX, u64::MAX),
            None
        );
    }
}
