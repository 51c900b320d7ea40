//! Builds the context directory given as the first argument, tagging the image with the second,
//! with the builder the docker CLI would use (or the third argument: `classic` or `buildkit`):
//! used to measure berth's memory while a large context is sent
//! (`/usr/bin/time -v cargo run --release -p berth-engine --example build_context DIR TAG [BUILDER]`).

use berth_engine::Engine;
use berth_engine::build::context::ContextSpec;
use berth_engine::build::{BuildRequest, Builder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: build_context DIR TAG [classic|buildkit]";
    let dir = args.next().ok_or(usage)?;
    let tag = args.next().ok_or(usage)?;
    let engine = Engine::connect().await?;
    let builder = match args.next().as_deref() {
        None => engine.default_builder().await?,
        Some("classic") => Builder::Classic,
        Some("buildkit") => Builder::BuildKit,
        Some(_) => return Err(usage.into()),
    };
    let mut request = BuildRequest::new(ContextSpec {
        dir: dir.into(),
        dockerfile: "Dockerfile".into(),
        inline: None,
        ignore_files: builder.ignore_files(),
    });
    request.tags = vec![tag];
    request.builder = builder;
    let id = engine.build_image(request, |text| print!("{text}")).await?;
    println!("{id}");
    Ok(())
}
