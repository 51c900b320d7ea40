//! Convergence: comparing what the files ask for with what runs.

pub mod container;
pub mod hash;
pub mod observed;
pub mod reconcile;
