//! Line I/O, reject driver and board profiles, all without hardware: the simulated line
//! on a simulated clock, `embedded-hal-mock` pins for exact transactions, the real
//! backends off-board, and every profile in `boards/`. One test binary, so tract is
//! linked once for all of them.

mod backends;
mod bench;
mod driver_encoder;
mod driver_time;
mod faults;
mod mock_pins;
mod profiles;
