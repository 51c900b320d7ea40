//! The typed Compose project model (being written).
