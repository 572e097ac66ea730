//! [`LineClock`]: the line driver's clock, tied to the loop's [`SharedClock`] so that frame
//! stamps, trigger times, verdict times and pulse times all lie on one µs axis.

use std::fmt;

use crate::clock::SharedClock;
use crate::line::{MonotonicClock, SimClock};

/// The clock a station's [`crate::line::LineDriver`] reads.
#[derive(Clone)]
pub enum LineClock {
    /// Real pins: the driver reads the loop's clock itself.
    World(SharedClock),
    /// The simulated line: the pins' [`SimClock`], moved up to the loop's clock just
    /// before each tick (so recorded pulses carry tick times on the loop's axis).
    Sim(SimClock),
}

impl LineClock {
    /// Moves a simulated clock to `now_us` (never back); real time moves by itself.
    pub fn advance_to(&self, now_us: u64) {
        if let LineClock::Sim(sim) = self {
            sim.set(now_us);
        }
    }
}

impl MonotonicClock for LineClock {
    fn now_us(&self) -> u64 {
        match self {
            LineClock::World(world) => world.now_us(),
            LineClock::Sim(sim) => sim.now_us(),
        }
    }
}

impl fmt::Debug for LineClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineClock::World(world) => write!(f, "LineClock::World(now {} µs)", world.now_us()),
            LineClock::Sim(sim) => write!(f, "LineClock::Sim(now {} µs)", sim.now_us()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_sim_clock_follows_only_forwards() {
        let sim = SimClock::new(10);
        let clock = LineClock::Sim(sim.clone());
        clock.advance_to(50);
        assert_eq!(clock.now_us(), 50);
        clock.advance_to(20);
        assert_eq!(sim.now_us(), 50, "a simulated clock never goes back");
        let world = ManualClock::new(7);
        let real = LineClock::World(world.clone());
        real.advance_to(1_000);
        assert_eq!(real.now_us(), 7, "real time is not ours to move");
    }
}
