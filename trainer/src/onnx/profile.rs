//! Timing tract plans: per-run latencies and a per-operator time profile.
//!
//! The profile runs the plan node by node through tract's own evaluation hook
//! (`SimpleState::run_plan_with_eval`), timing each node, and sums the time per operator
//! name of the *optimised* model (e.g. `DepthWiseConv`, `OptMatMul`, `Im2col`). Timing adds
//! a clock read per node (~50 ns), negligible against convolutions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::eval;

use super::run::Plan;

/// Wall time of `iters` runs (after `warmup` untimed runs) of `plan` on `input`.
pub fn latencies(
    plan: &Plan,
    input: &Tensor,
    warmup: usize,
    iters: usize,
) -> anyhow::Result<Vec<Duration>> {
    for _ in 0..warmup {
        plan.run(tvec!(input.clone().into()))?;
    }
    (0..iters)
        .map(|_| {
            let t = Instant::now();
            plan.run(tvec!(input.clone().into()))?;
            Ok(t.elapsed())
        })
        .collect()
}

/// The `q`-quantile (0..=1, nearest rank) of `samples`, in milliseconds.
pub fn percentile_ms(samples: &[Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Time per operator name over `iters` runs, largest first.
pub fn profile_by_op(
    plan: &Plan,
    input: &Tensor,
    iters: usize,
) -> anyhow::Result<Vec<(String, Duration)>> {
    let mut totals: HashMap<String, Duration> = HashMap::new();
    let mut state = plan.spawn()?;
    for _ in 0..iters {
        state.run_plan_with_eval(
            tvec!(input.clone().into()),
            |ctx, op_state, node, inputs| {
                let t = Instant::now();
                let out = eval(ctx, op_state, node, inputs);
                *totals.entry(node.op().name().to_string()).or_default() += t.elapsed();
                out
            },
        )?;
    }
    let mut v: Vec<(String, Duration)> = totals.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&s, 0.5), 50.0);
        assert_eq!(percentile_ms(&s, 0.95), 95.0);
        assert_eq!(percentile_ms(&s[..1], 0.95), 1.0);
    }
}
