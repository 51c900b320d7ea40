//! Builds the context directory given as the first argument with the classic builder, tagging the
//! image with the second: used to measure berth's memory while a large context is sent
//! (`/usr/bin/time -v cargo run --release -p berth-engine --example build_context DIR TAG`).

use berth_engine::Engine;
use berth_engine::build::BuildRequest;
use berth_engine::build::context::ContextSpec;
use berth_engine::build::ignore::IgnoreFiles;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: build_context DIR TAG")?;
    let tag = args.next().ok_or("usage: build_context DIR TAG")?;
    let engine = Engine::connect().await?;
    let mut request = BuildRequest::new(ContextSpec {
        dir: dir.into(),
        dockerfile: "Dockerfile".into(),
        inline: None,
        ignore_files: IgnoreFiles::Classic,
    });
    request.tags = vec![tag];
    let id = engine.build_image(request, |text| print!("{text}")).await?;
    println!("{id}");
    Ok(())
}
