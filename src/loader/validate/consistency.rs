//! stub
use crate::loader::tree::Value;
/// x
#[derive(Debug, thiserror::Error)]
pub enum ConsistencyError {}
/// x
pub fn check_consistency(_project: &Value) -> Result<(), ConsistencyError> { Ok(()) }
