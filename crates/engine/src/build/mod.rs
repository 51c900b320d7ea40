//! Building images: the `.dockerignore` rules ([`ignore`]) and the streamed build context
//! ([`context`]).

pub mod context;
pub mod ignore;
